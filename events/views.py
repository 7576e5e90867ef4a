from django.http import Http404
from django.views.generic import DetailView, ListView, TemplateView
from django_countries import countries
from django_filters.views import FilterView

from .filters import MeetingFilter
from .models import Meeting, Series, Session


class HomeView(ListView):
    template_name = "events/home.html"
    context_object_name = "meetings"

    def get_queryset(self):
        return Meeting.objects.visible_to(self.request.user).upcoming().select_related("series", "venue")[:20]


class MeetingListView(FilterView):
    filterset_class = MeetingFilter
    template_name = "events/meeting_list.html"
    context_object_name = "meetings"
    paginate_by = 50

    def get_queryset(self):
        return Meeting.objects.visible_to(self.request.user).select_related("series", "venue")


class MeetingDetailView(DetailView):
    template_name = "events/meeting_detail.html"
    context_object_name = "meeting"

    def get_queryset(self):
        return Meeting.objects.visible_to(self.request.user).with_schedule()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["sessions"] = Session.objects.visible_to(self.request.user).filter(meeting=self.object).with_schedule()
        return context


class SeriesListView(ListView):
    model = Series
    template_name = "events/series_list.html"
    context_object_name = "series_list"


class SeriesDetailView(DetailView):
    model = Series
    template_name = "events/series_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["meetings"] = Meeting.objects.visible_to(self.request.user).filter(series=self.object)
        return context


class DelegationDetailView(TemplateView):
    template_name = "events/delegation_detail.html"

    def get_context_data(self, **kwargs):
        code = self.kwargs["country"].upper()
        if code not in countries:
            raise Http404("Unknown country code")
        context = super().get_context_data(**kwargs)
        context["country"] = code
        context["meetings"] = Meeting.objects.visible_to(self.request.user).filter(delegations__country=code)
        return context
