"""What the payments services announce, for the project to act on in the same
transaction (core/hooks.py). Each is called with keyword arguments only."""

from core.hooks import Hook

# A receipt or invoice is to be emailed to its client (a receipt when issued, an
# invoice when the front desk asks): the project writes it to the outbox, which
# draws the PDF when it sends. Listeners answer whether an email was newly written.
document_to_send = Hook("document_to_send", "document")
