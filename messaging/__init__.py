"""Messages to clients: the outbox (every message is a row first, written with the
change that causes it, sent once by the sweep), the clinic's texts, the signed links in
messages and the pages behind them.

A feature app above the domain apps: it imports clients, appointments and treatments;
none of them imports it. They announce what happened through their hooks
(appointments.hooks, treatments.hooks) and this app's AppConfig.ready() connects the
outbox to them.
"""
