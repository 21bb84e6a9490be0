"""Call flows: one readable async function per route. The routes, with their policy, are
in ivr/flows/routes.py; the dialplan names the route in the AGI URL (agi://host:port/<route>).
"""
