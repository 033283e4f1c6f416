from django.urls import path

from . import feeds, unsubscribe, views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("laws/", views.law_list, name="law-list"),
    path("laws/<int:pk>/", views.law_detail, name="law-detail"),
    path("tax-measures/", views.tax_measure_list, name="tax-measure-list"),
    path("tax-measures/<int:pk>/", views.tax_measure_detail, name="tax-measure-detail"),
    path("facilities/", views.facility_list, name="facility-list"),
    path("facilities/<int:pk>/", views.facility_detail, name="facility-detail"),
    path("partners/", views.partner_list, name="partner-list"),
    path("partners/<int:pk>/", views.partner_detail, name="partner-detail"),
    path("feeds/status-changes.atom", feeds.status_changes_feed, name="feed-atom"),
    path("feeds/next-steps.ics", feeds.next_steps_calendar, name="feed-ics"),
    path("unsubscribe/<str:token>/", unsubscribe.unsubscribe_view, name="unsubscribe"),
]
