// Package detection turns messages in the monitored channels into crisis
// alerts without anyone flagging them: intake (which messages are
// classified, a bounded queue with per-person order and a bounded number of
// concurrent classifications), message history (the context sent with each
// message), channel sensitivity (the score rescaled per channel), when to
// alert (minimum severity, per-person cooldown, escalation, one alert per
// message across replicas) and the CRT's "detection is down" and "detection
// is back" notices, with a bounded backlog classified on return.
//
// It consumes the Ash-NLP client through the small Classifier interface:
// any error means "not classified", never "safe".
//
// Keys (all single-key writes, all with a TTL):
//
//	ash:history:{guild_id}:{user_id}  sorted set  message_history  the earlier bot's layout: score = unix seconds
//	ash:alert:cooldown:{user_id}      string      alert_state      the person's open alert during the cooldown
//
// Redis being down never stops an alert: history, cooldown and the
// per-message claim fail open (an alert too many rather than one lost).
package detection
