from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language

from events.admin import view_on_site
from events.sitemaps import sitemaps

urlpatterns = [
    # Before the admin's own: its "view on site" redirect must ask the access policy.
    path("admin/r/<path:content_type_id>/<path:object_id>/", admin.site.admin_view(view_on_site)),
    path("admin/", admin.site.urls),
    # Without a CSRF token in the language switcher, every anonymous page is the same for every
    # visitor and can be shared by caches; a forged request could only change a visitor's language.
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("sitemap.xml", sitemap, {"sitemaps": sitemaps}, name="django.contrib.sitemaps.views.sitemap"),
    path("", include("events.urls")),
]
# No route serves MEDIA_ROOT, not even with DEBUG: document files go through events.views.document_file.
