from celery import shared_task

from portal.services import portal_link_send


@shared_task
def send_sign_in_link(address: str, next_path: str = "") -> None:
    # An address, not a client id: whether a client has it is the worker's to find
    # out, so that the request does the same work either way.
    portal_link_send(address=address, next_path=next_path)
