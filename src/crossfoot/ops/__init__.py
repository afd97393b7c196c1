"""Running crossfoot continuously: the run lock, all-or-nothing outputs, alerts, ``watch``.

Modules: ``lock`` (one run at a time per workspace), ``commit`` (an output
folder is replaced whole, after the store committed), ``alert_config`` (the
``alerts:`` section of the definitions), ``alerts`` (thresholds → messages),
``deliver`` (Slack, Teams, signed webhook, SMTP) and ``watch`` (pull, run, alert
on a schedule).
"""
