"""A plan has a course price: a package for the whole course or a price for each
session, in a currency (the clinic's where it is given), shown with its symbol."""

from django.urls import reverse

from treatments.models import TreatmentPlan


def plan_data(sam, smp_session, **price):
    return {
        "variant": "permanent",
        "goal": "full_head",
        "practitioner": sam.pk,
        "service": smp_session.pk,
        "sessions_planned": 3,
        "gap_min_days": 10,
        "gap_max_days": 14,
        **price,
    }


def test_a_plan_has_a_course_price_in_its_currency(
    client, practitioner, jo, sam, smp_session, london
):
    london.currency, london.locale = "USD", "en_US"
    london.save()
    client.force_login(practitioner)
    form = client.get(reverse("plan_new", args=[jo.pk]))
    assert 'value="USD" selected' in form.text
    data = plan_data(
        sam,
        smp_session,
        price_basis="per_session",
        price_minor="600.50",
        currency="USD",
    )
    response = client.post(reverse("plan_new", args=[jo.pk]), data)
    assert response.status_code == 302
    plan = jo.plans.get()
    assert (plan.price_minor, plan.currency) == (60050, "USD")
    page = client.get(response.url).text
    assert "$1,801.50" in page and "$600.50 a session" in page


def test_a_plan_price_with_fractions_of_a_cent_is_refused(
    client, practitioner, jo, sam, smp_session, london
):
    client.force_login(practitioner)
    data = plan_data(
        sam, smp_session, price_basis="course", price_minor="1500.005", currency="GBP"
    )
    response = client.post(reverse("plan_new", args=[jo.pk]), data)
    assert response.status_code == 422
    assert "decimal places" in response.text
    assert not TreatmentPlan.objects.exists()


def test_a_plan_without_a_price_says_it_is_not_agreed_and_a_package_shows_whole(
    client, practitioner, jo, sam, smp_session, london
):
    client.force_login(practitioner)
    response = client.post(
        reverse("plan_new", args=[jo.pk]), plan_data(sam, smp_session)
    )
    plan = TreatmentPlan.objects.get()
    assert (plan.price_minor, plan.price_basis, plan.currency) == (0, "course", "GBP")
    assert "Price: not agreed yet" in client.get(response.url).text
    response = client.post(
        reverse("plan_edit", args=[plan.pk]),
        plan_data(sam, smp_session, price_minor="1500", price_basis="course"),
    )
    assert response.status_code == 302
    page = client.get(reverse("plan_detail", args=[plan.pk])).text
    assert "£1,500.00</strong> for the course" in page
    assert "a session" not in page
