from django.contrib.sitemaps import Sitemap

from . import access
from .models import Meeting, Series


class MeetingSitemap(Sitemap):
    changefreq = "weekly"
    limit = 5000

    def items(self):
        # The same visibility rule as every page: an anonymous crawler sees public meetings only.
        return access.visible(Meeting.objects.all(), None).only("slug", "updated").order_by("start_date", "pk")

    def lastmod(self, meeting):
        return meeting.updated


class SeriesSitemap(Sitemap):
    changefreq = "monthly"

    def items(self):
        return Series.objects.only("slug", "updated").order_by("pk")

    def lastmod(self, series):
        return series.updated


sitemaps = {"meetings": MeetingSitemap, "series": SeriesSitemap}
