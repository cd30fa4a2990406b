from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def index(request: HttpRequest) -> HttpResponse:
    """The read-only dashboard. A static shell: the page logs in and reads everything through the GraphQL API."""
    return render(request, "dashboard/index.html")
