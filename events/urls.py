from django.urls import include, path

from . import api, feeds, follow_views, views

app_name = "events"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("meetings/", views.MeetingListView.as_view(), name="meeting_list"),
    path("meetings/<slug:slug>/", views.MeetingDetailView.as_view(), name="meeting_detail"),
    path("series/", views.SeriesListView.as_view(), name="series_list"),
    path("series/<slug:slug>/", views.SeriesDetailView.as_view(), name="series_detail"),
    path("documents/", views.DocumentListView.as_view(), name="document_list"),
    path("documents/<int:pk>/file/", views.document_file, name="document_file"),
    path("calendar/", views.calendar_today, name="calendar"),
    path("calendar/<int:year>/<int:month>/", views.CalendarMonthView.as_view(), name="calendar_month"),
    path("delegations/", views.DelegationListView.as_view(), name="delegation_list"),
    path("delegations/<str:country>/", views.DelegationDetailView.as_view(), name="delegation_detail"),
    path("changes/", views.ChangesView.as_view(), name="changes"),
    path("changes/feed/", views.ChangesFeed(), name="changes_feed"),
    path("follows/", follow_views.FollowsView.as_view(), name="follows"),
    path("follows/<int:pk>/", follow_views.FollowUpdateView.as_view(), name="follow_update"),
    path("follows/settings/", follow_views.AlertProfileView.as_view(), name="alert_profile"),
    path("alerts/unsubscribe/<str:token>/", follow_views.UnsubscribeView.as_view(), name="unsubscribe"),
    path("feeds/", include(feeds.urlpatterns)),
    path("api/", include(api.urlpatterns)),
]
