"""DigiD login for newcomers.

`login` is the login page; `oidc`, `adapter` and `logout` talk to the DigiD broker (OpenID
Connect); `mock` is the demo's stand-in. `linking` turns a BSN that DigiD vouched for into a
logged-in newcomer account, for every way in, so the rule "the BSN links the login to the
newcomer record" lives in one place.
"""
