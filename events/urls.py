from django.urls import include, path

from . import api, feeds, views

app_name = "events"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("meetings/", views.MeetingListView.as_view(), name="meeting_list"),
    path("meetings/<slug:slug>/", views.MeetingDetailView.as_view(), name="meeting_detail"),
    path("series/", views.SeriesListView.as_view(), name="series_list"),
    path("series/<slug:slug>/", views.SeriesDetailView.as_view(), name="series_detail"),
    path("delegations/<str:country>/", views.DelegationDetailView.as_view(), name="delegation_detail"),
    path("feeds/", include(feeds.urlpatterns)),
    path("api/", include(api.urlpatterns)),
]
