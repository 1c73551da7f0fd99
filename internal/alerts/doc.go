// Package alerts owns crisis alerts in the CRT channels: posting one for its
// severity (Dispatcher), the alert message and its buttons (message.go,
// detected.go for what the classifier said, ids.go),
// and the alert loop state in Redis that makes the buttons work after a
// restart and on any replica (Store).
//
// Keys, all in the retention category "alert_state" and all with a TTL:
//
//	ash:alert:{alert_id}          hash   the alert's loop state (claims, ids, Ash status)
//	ash:alert:thread:{thread_id}  string alert id of the alert's CRT thread
//	ash:alert:flags:{user_id}     string flags a member made in the current window
//	ash:alert:notes:{alert_id}    list   CRT notes on the alert (JSON), expiring with its state
//	ash:alert:open                zset   alerts not yet resolved, by creation time (ms)
//
// Every command touches one key, so Redis Cluster needs nothing special.
//
// Posting an alert never waits on Redis: the calls on the dispatch path have
// a short timeout and fail open, lifecycle events go through the outbox, and
// state writes that fail are retried in the background until Redis is back.
package alerts
