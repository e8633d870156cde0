"""URLs of the household's notification page."""

from django.urls import path

from alerts import views

urlpatterns = [
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/channels/", views.channel_new, name="notifications-channel-new"),
    path(
        "notifications/channels/<int:channel_id>/delete/",
        views.channel_delete,
        name="notifications-channel-delete",
    ),
]
