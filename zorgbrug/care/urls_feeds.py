"""The public calendar feed addresses: /feeds/<token>.ics (the token is the secret)."""

from django.urls import re_path

from zorgbrug.care import feeds

urlpatterns = [
    re_path(r"^(?P<token>[A-Za-z0-9_-]{16,64})\.ics$", feeds.feed_view, name="care-feed"),
]
