"""Subscriptions, matching and alerts delivered exactly once (e-mail, Slack, any apprise URL).

Entry points: :func:`alerts.dispatch.dispatch` (match what is new, queue it in
the outbox, send what is due) and :func:`alerts.dispatch.next_due` (when each
subscription next has something to send, for a scheduler).
"""
