"""The site's routes plus /__floor__/: a bare Django view answering 304 through the same middleware.

It reads nothing and renders nothing, so its rate is what this machine, gunicorn and
Django's middleware allow; the load test reports the site's rate as a share of it.
"""

from django.http import HttpResponseNotModified
from django.urls import path

from ascn_events.urls import urlpatterns as site_urlpatterns


def floor(request):
    return HttpResponseNotModified()


urlpatterns = [path("__floor__/", floor), *site_urlpatterns]
