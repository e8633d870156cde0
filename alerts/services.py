"""Writes of the notification sender: rules fire into the outbox, the outbox is sent with retries."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction

from alerts.channels import DeliveryFailed, deliver
from alerts.models import (
    BACK,
    FAILED,
    PENDING,
    SENT,
    WEBHOOK,
    Alert,
    Channel,
    Notification,
    Rule,
    RuleState,
    Subscription,
)
from alerts.selectors import Observation, channels_for, observe

logger = logging.getLogger(__name__)

# Retries wait 30 s, 1 min, 2 min, … up to an hour between attempts; after ten the message is
# given up (about five hours: a window advice that old is no longer advice).
MAX_ATTEMPTS = 10
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=1)
SEND_BATCH = 100


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt."""
    return min(FIRST_RETRY * 2 ** (attempts - 1), LONGEST_RETRY)


def rules_evaluate(*, at: datetime) -> list[Alert]:
    """Check every active rule at `at`; the alerts fired, each already in the outbox for its channels."""
    rules = list(Rule.objects.filter(is_active=True).select_related("device"))
    observations = observe(rules=rules, at=at)
    fired = []
    for rule in rules:
        for observation in observations[rule.pk]:
            alert = _apply(rule, observation, at)
            if alert is not None:
                fired.append(alert)
    return fired


def _apply(rule: Rule, observation: Observation, at: datetime) -> Alert | None:
    """Move the rule's state for this subject, and fire if a change is due. One transaction each:
    the state, the alert and its outbox rows are stored together or not at all, so a sender killed
    at any moment neither loses nor repeats a message when it starts again."""
    if observation.holds is None:
        return None
    try:
        with transaction.atomic():
            state, _ = RuleState.objects.select_for_update().get_or_create(
                rule=rule,
                subject=observation.subject,
                # "Back" needs a silence first; every other rule may tell what holds when first checked.
                defaults={"armed": rule.kind != BACK, "updated_at": at},
            )
            if not observation.holds:
                if not state.armed:
                    state.armed = True
                    state.updated_at = at
                    state.save(update_fields=["armed", "updated_at"])
                return None
            if not state.armed:
                return None
            quiet_until = state.last_fired_at and state.last_fired_at + timedelta(minutes=rule.quiet_minutes)
            if quiet_until and at < quiet_until:
                return None  # still armed: sent when the quiet period ends, if it still holds then
            return _fire(rule, state, observation, at)
    except IntegrityError:
        # A second sender fired the same event first (same key): it is theirs to send.
        logger.warning("rule %s on %s fired by another sender", rule.pk, observation.subject)
        return None


def _fire(rule: Rule, state: RuleState, observation: Observation, at: datetime) -> Alert:
    count = Alert.objects.filter(rule=rule, subject=observation.subject).count()
    alert = Alert.objects.create(
        key=f"{rule.pk}:{observation.subject}:{count + 1}",
        rule=rule,
        subject=observation.subject,
        title=observation.title,
        message=observation.message,
        fired_at=at,
    )
    Notification.objects.bulk_create(
        Notification(alert=alert, channel=channel, next_attempt_at=at, created_at=at)
        for channel in channels_for(rule=rule)
    )
    state.armed = False
    state.last_fired_at = at
    state.updated_at = at
    state.save(update_fields=["armed", "last_fired_at", "updated_at"])
    logger.info("rule %r fired on %s: %s", rule.name, observation.subject, observation.title)
    return alert


@dataclass
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def notifications_send(*, at: datetime) -> SendReport:
    """Try each due notification; failures wait longer each time, given up after MAX_ATTEMPTS."""
    report = SendReport()
    due = (
        Notification.objects.filter(status=PENDING, next_attempt_at__lte=at)
        .select_related("alert__rule", "channel__user")
        .order_by("next_attempt_at", "id")[:SEND_BATCH]
    )
    for notification in due:
        notification.attempts += 1
        try:
            if not notification.channel.is_active:
                raise DeliveryFailed("the channel was turned off")
            deliver(notification)
        except Exception as error:  # noqa: BLE001 - one channel's failure must never stop the others
            notification.last_error = str(error)[:500]
            if notification.attempts >= MAX_ATTEMPTS or not notification.channel.is_active:
                notification.status = FAILED
                report.failed += 1
            else:
                notification.next_attempt_at = at + retry_delay(notification.attempts)
                report.retrying += 1
            logger.warning(
                "notification %s not sent (attempt %s): %s", notification.pk, notification.attempts, error
            )
        else:
            notification.status = SENT
            notification.sent_at = at
            notification.last_error = ""
            report.sent += 1
        notification.save(update_fields=["attempts", "status", "next_attempt_at", "sent_at", "last_error"])
    return report


def subscriptions_set(*, user, rules) -> None:
    """The user gets exactly these rules' messages from now on."""
    wanted = {rule.pk for rule in rules}
    with transaction.atomic():
        Subscription.objects.filter(user=user).exclude(rule__in=wanted).delete()
        have = set(Subscription.objects.filter(user=user).values_list("rule_id", flat=True))
        Subscription.objects.bulk_create(Subscription(user=user, rule_id=pk) for pk in wanted - have)


def channel_add(*, user, name: str, kind: str, url: str = "", email: str = "") -> Channel:
    channel = Channel(user=user, name=name, kind=kind, url=url if kind == WEBHOOK else "", email=email)
    channel.full_clean()
    channel.save()
    return channel


def channel_remove(*, user, channel_id: int) -> bool:
    """Remove one of the user's own channels; False if they have no such channel."""
    deleted, _ = Channel.objects.filter(user=user, pk=channel_id).delete()
    return bool(deleted)
