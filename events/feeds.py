"""iCalendar feed views (issue: calendar feeds)."""

urlpatterns = []
