"""Webhooks (issue 14): a user's HTTPS endpoints told about their changes, signed per the Standard Webhooks spec.

The API side lives here (create, delete, list, the URL checks); the sending is batch work done by the Go binary
(`aggregator deliver`), which reads these tables and the change log (ledger_change). Arrows: webhooks -> ledger ->
accounts; nothing below imports this app.
"""
