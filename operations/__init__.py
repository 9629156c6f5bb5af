"""Operations: encrypted backups and restore, and what tells a manager or a monitor
that the clinic's records are safe (the dashboard's backup age, /metrics).

A feature-layer app: it may read any app below it; nothing below imports it.
"""
