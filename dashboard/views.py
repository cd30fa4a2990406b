from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from schema.views import subscription_url


def index(request: HttpRequest) -> HttpResponse:
    """The read-only dashboard. A static shell: the page logs in and reads everything through the GraphQL API, and
    follows the `changes` subscription to redraw itself when the user's data changes."""
    return render(request, "dashboard/index.html", {"subscription_url": subscription_url(request)})
