"""ARM402: a POST to a read-only endpoint (token introspection, userinfo, verification) changes
nothing a retry could repeat, whether its URL is a literal or a variable named for the endpoint;
a POST to an ordinary URL variable is still an effect."""
from __future__ import annotations

from tests.rules.test_realcode_effects import check


def test_introspection_post_through_a_named_url_then_save_is_quiet():
    check(
        '''
        import requests


        def lookup_token(token, introspection_url, headers):
            response = requests.post(introspection_url, data={"token": token}, headers=headers)
            content = response.json()
            AccessToken.objects.update_or_create(token=token, defaults={"scope": content["scope"]})
        '''
    )


def test_post_to_an_ordinary_url_variable_then_save_is_flagged():
    check(
        '''
        import requests


        def notify_partner(order, partner_url):
            requests.post(partner_url, json={"order": order.id})  # ARM402
            order.notified = True
            order.save()
        '''
    )
