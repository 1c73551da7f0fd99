// Package discordsim is a loopback stand-in for Discord, good enough for the
// real disgo client (bot.Client) to run against it unchanged. End-to-end
// tests of the bot and `make demo` use it so that nothing talks to Discord.
//
// One http.Server on 127.0.0.1:<random port> serves the REST API (v10) under
// /api/v10, the Gateway (v10, JSON encoding, payload compression but no
// transport compression) under /gateway, and uploaded attachments under
// /attachments. Point disgo at it with
//
//	client, err := disgo.New(sim.Token(),
//		bot.WithRestClientConfigOpts(rest.WithURL(sim.URL())),
//		bot.WithGatewayConfigOpts(gateway.WithURL(sim.GatewayURL()), gateway.WithIntents(...),
//			gateway.WithCompression(gateway.CompressionZlibPayload)),
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
//     token, 4014 for Options.DisallowedIntents; compress: true gets large
//     payloads as binary frames of one zlib stream each), Ready, GUILD_CREATE,
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
//     headers as Discord sends them (Limit, Remaining, Reset, fractional
//     Reset-After, Bucket; Scope and Retry-After on a 429).
//   - Rate limits: SetRateLimit makes a route enforce Limit requests per
//     Window per channel, guild or webhook on the simulated clock; a
//     request sent while Remaining was 0 gets a 429 without effects.
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
//     (per route, shared, global without a bucket, or Cloudflare's HTML
//     page without any X-RateLimit headers) or 500 before they have effects;
//     SetTokenValid(false) makes REST answer 401 and Identify close with 4004;
//     DisconnectGateway (without a close frame, or with any close code),
//     RequestReconnect, InvalidateSessions and StopHeartbeatACKs (a
//     half-open connection) exercise reconnects and session endings.
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
// timestamps derive from it, and so do interaction deadlines (which also
// run on the wall clock, as on Discord) and the windows of SetRateLimit (a
// client whose limiter waits on the same Clock is tested without waiting).
// Heartbeats and the pacing of disgo's own clients stay on the wall clock.
//
// WaitFor re-evaluates its condition on every simulator state change (and
// every 10ms, so conditions may also look at the bot's own state).
//
// # Running disgo under the race detector
//
// disgo v0.19.6's gateway still has data races of its own that `go test
// -race` reports, none of them caused by the simulator: heartbeatCancel is
// written by the heartbeat goroutine (gateway.go:451) and read without
// synchronisation by CloseWithCode (gateway.go:317) whenever a connection
// ends, whether the client closes it or the server does (a close frame,
// op 7, op 9); and each heartbeat tick reads LastSequenceReceived and the
// heartbeat times, which the read loop writes. (v0.19.6 fixed the nil
// sequence on an early heartbeat, the unlocked status writes and the
// heartbeat ACK check; ashbot's REST limiter, internal/discordapi, replaces
// disgo's racy one.)
//
// Tests that must pass -race therefore (as this package's tests do): keep
// the default HeartbeatInterval so no heartbeat fires during the test; never
// close a connected client or cut its connection, and set
// Options.KeepGatewayOnClose so Sim.Close leaves it alone (the client idles
// until the test binary exits). Gateway endings are covered here with a
// plain websocket client instead, and with disgo in tests built without
// the race detector (`make test` runs those too).
//
// # What is not simulated
//
// Several guilds, sharding beyond routing guild events by shard, voice,
// presences, permissions of simulated members (only reported; the bot's
// are enforced), channel permission overwrites (SetBotPermissions sets the
// bot's resulting permissions per channel instead),
// rate limits on routes without SetRateLimit, automatic thread
// archival, forum/media channels, stickers, polls, components v2, webhooks
// other than interaction webhooks, autocomplete interactions, audit logs,
// gateway transport compression (zlib-stream, zstd-stream) and ETF, and
// the HTTP interactions endpoint
// (interactions are delivered over the gateway only).
package discordsim
