// Package discordsim is a loopback stand-in for Discord, good enough for the
// real disgo client (bot.Client) to run against it unchanged. End-to-end
// tests of the bot and `make demo` use it so that nothing talks to Discord.
//
// One http.Server on 127.0.0.1:<random port> serves the REST API (v10) under
// /api/v10, the Gateway (v10, JSON encoding, no transport compression) under
// /gateway, and uploaded attachments under /attachments. Point disgo at it
// with
//
//	client, err := disgo.New(sim.Token(),
//		bot.WithRestClientConfigOpts(rest.WithURL(sim.URL())),
//		bot.WithGatewayConfigOpts(gateway.WithURL(sim.GatewayURL()), gateway.WithIntents(...)),
//	)
//
// or append sim.ClientOpts()... to the options. sim.Token() matters: disgo
// derives the application id from the token, and interaction webhooks are
// only accepted for Options.ApplicationID.
//
// # What is simulated
//
//   - One guild with text channels, threads (public/private, started from a
//     message with the message's id, archive/lock via PATCH), DM channels,
//     roles (the @everyone role shares the guild id), members and the bot.
//   - Gateway: Hello, Identify (token and intents checked, 4004 for a bad
//     token, 4014 for Options.DisallowedIntents), Ready, GUILD_CREATE,
//     heartbeats and ACKs, sequence numbers, Resume with replay of missed
//     dispatches, op 7 Reconnect, op 9 Invalid Session, op 8 Request Guild
//     Members (GUILD_MEMBERS_CHUNK), and dispatch of MESSAGE_*,
//     INTERACTION_CREATE, THREAD_*, CHANNEL_*, GUILD_MEMBER_ADD/UPDATE,
//     GUILD_ROLE_CREATE and MESSAGE_REACTION_ADD/REMOVE with intent
//     filtering. Sessions without MESSAGE_CONTENT get blank content for guild
//     messages that do not mention the bot, and GUILD_CREATE only lists other
//     members with GUILD_MEMBERS, as on Discord.
//   - REST: gateway discovery, users, applications, application commands
//     (global and guild; bulk overwrite keeps ids), messages (JSON and
//     multipart with files[n], embeds, components, allowed_mentions,
//     replies, nonce/enforce_nonce), threads, channel PATCH, DMs (50007 when
//     the user has DMs closed), reactions, typing, guild/roles/members,
//     interaction callbacks (types 4, 5, 6, 7, 9, 10, 12; 40060 when
//     answered twice, 10062 after Options.InteractionDeadline), follow-ups
//     (the first one after a deferred response fills in the "thinking"
//     message, as on Discord; 50027 after Options.InteractionTokenTTL) and
//     @original. Bodies are validated against Discord's documented limits
//     (embeds, components with select options, placeholders and button
//     labels, at most 10 files of 10 MiB each, attachment:// names that
//     match the uploads) and errors are Discord-shaped
//     ({"code","message","errors"}); every response carries X-RateLimit-*
//     headers.
//   - As strict as Discord, each rule cited where it is enforced: a request
//     without a "DiscordBot ($url, $version)" User-Agent is blocked as
//     Cloudflare does (403, HTML, code 1010 in the log; disgo clients get
//     one from ClientOpts); the bot's permissions are enforced per channel
//     (403 50001 without View Channel, 403 50013 for any other missing
//     permission; SetBotPermissions, default DefaultBotPermissions, what a
//     correctly set-up server grants); role mentions ping only mentionable
//     roles (SetRoleMentionable) unless the author has Mention Everyone;
//     interaction deadlines run on the simulated clock and on the wall clock
//     (Options.WallClock); REST reads blank message content when the app
//     lacks the Message Content intent (Options.DisallowedIntents), with
//     Discord's exemptions.
//   - Conformance: every request is recorded with its User-Agent, token,
//     Content-Type and the bot's permissions in its channel;
//     Sim.Conformance / CheckRequests check them afterwards against the same
//     rules and fail any request kind they do not know.
//   - Faults: FailNext/InjectFault fail matching requests with 403, 404, 429
//     (Retry-After, retry_after, global) or 500 before they have effects;
//     SetTokenValid(false) makes REST answer 401 and Identify close with 4004;
//     DisconnectGateway, RequestReconnect and InvalidateSessions exercise
//     reconnects.
//   - Acting as users: SendMessage(With), React, ClickButton, SelectMenu,
//     RunSlashCommand, RunUserCommand, RunMessageCommand and SubmitModal
//     dispatch what Discord would. AddMember, AddRole, AddChannel, OpenDM and
//     SetDMsClosed set the guild up.
//   - Inspection: messages with their edit history, attachments (bytes
//     included), threads, DM channels, interaction callbacks and follow-ups,
//     registered commands, the REST request log and an event log, plus
//     WaitFor/WaitEvent/WaitMessage so tests never poll with sleeps.
//
// Time comes from Options.Now (use a Clock for determinism): snowflakes and
// timestamps derive from it, and so do interaction deadlines, which also run
// on the wall clock as on Discord. REST and gateway pacing (disgo's own rate
// limiter, heartbeats) stay on the wall clock.
//
// WaitFor re-evaluates its condition on every simulator state change (and
// every 10ms, so conditions may also look at the bot's own state).
//
// # Running disgo under the race detector
//
// disgo v0.18.15 itself has data races that `go test -race` reports, none of
// them caused by the simulator:
//
//   - gateway: heartbeatCancel is written by the heartbeat goroutine and read
//     unsynchronised when a connection ends (client.Close, a server close,
//     op 7, op 9, 4004); LastSequenceReceived is written by the read loop and
//     read by each heartbeat tick; status is written without the lock.
//   - rest: the rate limiter reads bucket fields before locking the bucket, so
//     two goroutines calling routes in the same bucket concurrently race.
//
// Tests that must pass -race therefore (as this package's tests do): keep
// the default HeartbeatInterval so no heartbeat fires during the test; never
// close a connected client or cut its connection, and set
// Options.KeepGatewayOnClose so Sim.Close leaves it alone (the client idles
// until the test binary exits); and let a handler's REST call finish (signal
// over a channel) before the test calls the same route itself. Gateway
// endings are covered here with a plain websocket client instead. Very short
// heartbeat intervals are also unsafe for another reason: disgo dereferences
// the last sequence number without a nil check, so a heartbeat before READY
// panics inside disgo.
//
// # What is not simulated
//
// Several guilds, sharding beyond routing guild events by shard, voice,
// presences, permissions of simulated members (only reported; the bot's
// are enforced), channel permission overwrites (SetBotPermissions sets the
// bot's resulting permissions per channel instead),
// real rate limiting (429s happen only when injected), automatic thread
// archival, forum/media channels, stickers, polls, components v2, webhooks
// other than interaction webhooks, autocomplete interactions, audit logs,
// gateway transport compression and ETF, and the HTTP interactions endpoint
// (interactions are delivered over the gateway only).
package discordsim
