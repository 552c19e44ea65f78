"""Mijn Inburgering: the pages a newcomer sees after logging in with DigiD."""
