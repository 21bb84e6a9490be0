"""Agents: the people behind the queue, as SIP phones (PJSIP endpoints) and web logins."""
