"""The dashboard's URLs: the page, its read API, and Django's own login, logout and password change."""

from django.contrib.auth import views as auth_views
from django.urls import path

from dashboard import api, views
from ratelimits.logins import GuardedPasswordChangeView

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("records/", views.records, name="records"),
    path("shares/", views.share_links, name="share-links"),
    # A share link: the dashboard and its two reads, nothing else, for whoever holds the token.
    path("s/<str:token>/", views.shared_dashboard, name="shared"),
    path("s/<str:token>/api/history/", api.SharedHistoryApi.as_view(), name="shared-history"),
    path("s/<str:token>/api/latest/", api.SharedLatestApi.as_view(), name="shared-latest"),
    path("api/history/", api.HistoryApi.as_view(), name="api-history"),
    path("api/latest/", api.LatestApi.as_view(), name="api-latest"),
    # At the root, so that the service worker's scope is the whole dashboard.
    path("sw.js", views.service_worker, name="service-worker"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        GuardedPasswordChangeView.as_view(template_name="registration/household_password_change.html"),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="registration/household_password_changed.html"
        ),
        name="password_change_done",
    ),
]
