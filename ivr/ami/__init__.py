"""Our AMI side: panoramisk speaks the wire protocol, ``client.AmiClient`` owns the policy
(timeouts, keepalive, reconnects, no replay of actions, callbacks that cannot break the
connection). No panoramisk type leaves this package."""
