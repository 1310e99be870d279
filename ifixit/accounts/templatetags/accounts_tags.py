"""Template tags for the page header: the main navigation of the signed-in user."""

from django import template

from ifixit.accounts.navigation import MainNavigation, main_navigation_for

register = template.Library()


@register.simple_tag(takes_context=True)
def main_navigation(context) -> MainNavigation:
    request = context["request"]
    url_name = getattr(request.resolver_match, "url_name", None) or ""
    return main_navigation_for(request.user, url_name=url_name)
