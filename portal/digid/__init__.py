"""DigiD login for newcomers.

`linking` turns a BSN that DigiD vouched for into a logged-in newcomer account; it is shared by
every way in (the demo mock now, the production OpenID Connect provider later), so the rule
"the BSN links the login to the newcomer record" lives in one place.
"""
