# The demo week: a week in the life of the Crisis Response Team of
# "Rainbow Commons", acted out by `ashbot demo` (and `make demo`) against a
# simulated Discord server, a simulated Ash-NLP, a stand-in for Anthropic's
# API that writes Ash's replies (fixed warm lines that quote the person's
# message back: not a model) and the real bot. Edit it and run
# `ashbot demo --story FILE` to try a variant; `go test ./internal/demo`
# checks that this one ends in the report numbers it was written for.
#
# THE FORMAT
#
# One statement a line. A "#" followed by a space (or alone) starts a
# comment, here or after a statement; #general is a channel. Indentation is
# free. Texts are "quoted" (Go syntax: \" and \\ inside).
#
# Time runs on the demo's own clock, in UTC. `day N` (1 to 7, 8 is the
# morning after the week) starts a day. A line may start with a time:
#   09:12   the clock moves to 09:12 of the current day
#   +4m     the clock moves on by a duration (+30s, +4m, +1h30m)
# then does its statement; a line without a time happens at once, after the
# line before. Time never runs backwards.
#
# In the statements, {name} is a person of the cast ({name}'s: "Robin's"),
# {channel} one of #general, #vent, #crt-monitor, #crt-crisis,
# #crt-critical, #crt-reports, #crt-leads, {text} a quoted text, {severity} low, medium,
# high or critical. "Robin's alert" is the latest alert about Robin.
#
# The cast, before the first day (each line lists new names):
#   people {new...}                       members of the server
#   crt {new...}                          members of the Crisis Response Team
#   admins {new...}                       CRT members who are also Bot Admins
#
# The bot reads #general and #vent and has Ash-NLP classify every message
# there; a medium, high or critical one raises an alert on its own. The
# simulated Ash-NLP scores by phrases (internal/standin/nlpsim): "end it
# all", "better off without me" are critical; "can't go on", "no reason to
# live", "hurt myself", "hopeless" high; "so alone", "worthless", "can't
# cope", "falling apart" medium; "rough day", "sad", "stressed" low (under
# the alert threshold); anything else safe. Within 5 minutes of a
# detected alert (the cooldown), the same person's next message goes to
# that alert's thread, or escalates to a new alert when more severe.
#
# What people do:
#   {name} posts in {channel}: {text}
#   {name} flags {name}'s message as {severity}     the "Flag for CRT" command
#                                          on that person's latest post; the
#                                          alert must appear in its channel
#   {name} acknowledges {name}'s alert
#   {name} writes in {name}'s alert thread: {text}
#   {name} asks Ash to reach out to {name}          the "Talk to Ash" button
#   {name} takes over {name}'s alert from Ash       the "Take over" button
#   {name} resolves {name}'s alert
#   {name} resolves {name}'s earlier alert  the one before the latest (the
#                                          alert an escalation came from)
#   {name} tells Ash: {text}               a DM to Ash; Ash must answer (the
#                                          narration shows the answer)
#   {name} presses {text} under Ash's message       a button by its label
#   {name} closes their DMs                the bot can no longer DM them
#   {name} runs /ash report post:true      posts the week's report
#
# What happens to Ash-NLP:
#   Ash-NLP goes down                      it refuses connections
#   Ash-NLP comes back
#
# What the bot must have done by then (the demo fails otherwise):
#   expect a {severity} alert about {name}  detected on its own: an alert
#                                          about that person's latest post
#                                          in the severity's channel
#   expect Ash's DM to {name}              Ash's welcome, with its buttons
#   expect Ash's check-in to {name}        Ash's next follow-up check-in DM
#                                          (a day after a chat of 5 minutes
#                                          or more about a medium or worse
#                                          alert); a reply to it, with
#                                          "{name} tells Ash", starts a new
#                                          chat linked to that alert
#   expect {name}'s alert thread to say {text}      a message containing text
#   expect {channel} to say {text}         a message of the bot containing
#                                          text (detection's notices go to
#                                          #crt-monitor); after a DOWN
#                                          notice, expect it before the
#                                          clock moves on
#
# And a line for the reader of the demo's output:
#   note {text}

people Robin Sam Alex Jordan Kai Riley
crt    Morgan Casey Taylor
admins Avery

day 1
# Morning: a MEDIUM alert the bot raises on its own, which Morgan handles
# with Ash's help. Robin writes again within the cooldown: a note in the
# alert's thread, not a second alert. Robin talks with Ash a little and
# says goodbye, which ends the chat.
09:12  Robin posts in #general: "I haven't slept in days and I feel like I'm falling apart"
       expect a medium alert about Robin
+2m    Robin posts in #general: "sorry for venting, I just can't cope with anything right now"
       expect Robin's alert thread to say "Another message from the same person"
       note "Robin wrote again within the cooldown: the bot adds it to the open alert's thread"
+2m    Morgan acknowledges Robin's alert
+2m    Morgan writes in Robin's alert thread: "I know Robin from the art channel, I'll keep an eye out"
+1m    Morgan asks Ash to reach out to Robin
+1m    Robin tells Ash: "hi. it's just been a really bad week"
+2m    Robin tells Ash: "thank you, that helps a bit"
       Robin tells Ash: "bye ash"
       expect Robin's alert thread to say "they ended the chat"
+20m   Morgan resolves Robin's alert

# Late evening: a HIGH alert nobody acknowledges within the auto-initiate
# delay (3 minutes), so Ash reaches out on its own. Kai answers once, then
# goes quiet, and the chat times out (5 minutes idle).
22:40  Kai posts in #vent: "I don't want to be here anymore, I can't go on"
       expect a high alert about Kai
+3m    expect Ash's DM to Kai
       note "nobody acknowledged in 3 minutes: Ash reached out to Kai by DM"
       Kai tells Ash: "i don't know why i'm even answering"
+2m    Casey acknowledges Kai's alert
+1m    Casey writes in Kai's alert thread: "On it. Kai, if you see this, we're here."
+5m    expect Kai's alert thread to say "idle timeout"
       note "Kai stopped replying; Ash's chat timed out"
+30m   Casey resolves Kai's alert

day 2
# Ash-NLP scores this one low, under the alert threshold; a member flags
# it for the CRT, and a CRT member handles it alone.
14:05  Jordan posts in #general: "rough day today, my family misgendered me again all day"
       note "Ash-NLP scores Jordan's message low: under the alert threshold, so no alert on its own"
       Alex flags Jordan's message as low
+12m   Taylor acknowledges Jordan's alert
+8m    Taylor resolves Jordan's alert

# A day after Kai's chat (day 1: 5 minutes about a HIGH alert, until it
# timed out) Ash checks in by DM. Kai answers: a new chat with Ash starts,
# linked to that alert, and the CRT is told in its thread.
22:52  expect Ash's check-in to Kai
       note "a day after Kai's chat, Ash checks in by DM, with the crisis resources and an opt-out button"
+3m    Kai tells Ash: "hey. a bit better than yesterday, thanks for asking"
       expect Kai's alert thread to say "answered Ash's check-in"
       note "Kai answered the check-in: a new chat with Ash, linked to yesterday's alert, whose thread says so"
+2m    Kai tells Ash: "i talked to my sister today, that helped"
+1m    Kai tells Ash: "bye ash"

# A CRITICAL alert: Ash starts, Sam asks for a person in words, and Ash
# hands the chat to the CRT, who are told in the thread.
23:30  Sam posts in #vent: "I keep thinking I want to end it all"
       expect a critical alert about Sam
+1m    Avery acknowledges Sam's alert
+1m    Avery writes in Sam's alert thread: "I'm reaching out to Sam now"
       Avery asks Ash to reach out to Sam
+3m    Sam tells Ash: "i'm scared of what i might do"
+3m    Sam tells Ash: "can someone real talk to me"
       expect Sam's alert thread to say "asked Ash for a human"
       note "Sam asked for a person: Ash ended its chat with a handoff and the CRT roles were mentioned"
+2m    Avery writes in Sam's alert thread: "I'm with Sam in DMs now"
+45m   Avery resolves Sam's alert

day 3
# Alex would rather not talk with Ash: the opt-out is remembered (day 5).
19:20  Alex posts in #general: "nobody would notice if I disappeared, it all feels hopeless"
       expect a high alert about Alex
+2m    Morgan acknowledges Alex's alert
+1m    Morgan asks Ash to reach out to Alex
+1m    Alex presses "I'd rather not" under Ash's message
       expect Alex's alert thread to say "opted out of Ash"
+3m    Morgan writes in Alex's alert thread: "Alex opted out of Ash, I'll DM them myself"
+33m   Morgan resolves Alex's alert

# An escalation: within the cooldown, Riley's next message is more severe,
# so the bot raises a new HIGH alert, linked with the MEDIUM one.
21:10  Riley posts in #vent: "can't stop crying, I feel so alone"
       expect a medium alert about Riley
+2m    Casey acknowledges Riley's alert
+2m    Riley posts in #vent: "I can't go on, there's no reason to live"
       expect a high alert about Riley
+1m    Casey acknowledges Riley's alert
+4m    Casey writes in Riley's alert thread: "Sent Riley a message"
+15m   Casey resolves Riley's alert
       Casey resolves Riley's earlier alert

# Sam's chat last night ended in a handoff; a day later Ash checks in
# with Sam too. Sam does not answer: the report counts it as sent.
23:39  expect Ash's check-in to Sam
       expect Sam's alert thread to say "follow-up check-in"
       note "a day after the handoff Ash checks in with Sam, and the CRT is told in the alert's thread"

day 4
# Jordan's DMs are closed: Ash's automatic outreach fails, and the CRT is
# told in the alert's thread.
02:00  Jordan closes their DMs
02:15  Jordan posts in #vent: "i can't go on like this"
       expect a high alert about Jordan
+3m    expect Jordan's alert thread to say "their DMs are closed"
       note "Ash tried to reach Jordan automatically, but Jordan's DMs are closed; the CRT is told in the thread"
+5m    Taylor acknowledges Jordan's alert
+2m    Taylor writes in Jordan's alert thread: "Pinging Jordan in #general, they're not taking DMs"
+40m   Taylor resolves Jordan's alert

day 5
# Robin again; this time Robin ends the chat with the button.
22:05  Robin posts in #general: "another panic attack, I can't breathe, it all feels hopeless"
       expect a high alert about Robin
+1m    Taylor acknowledges Robin's alert
       Taylor asks Ash to reach out to Robin
+1m    Robin tells Ash: "it's happening again"
+4m    Robin tells Ash: "ok, breathing slower now"
+3m    Robin presses "End chat" under Ash's message
+20m   Taylor resolves Robin's alert

# Alex opted out on day 3: auto-initiate leaves them alone and says so.
22:50  Alex posts in #vent: "it's getting worse, I want to hurt myself"
       expect a high alert about Alex
+3m    expect Alex's alert thread to say "Ash did not contact"
       note "Alex opted out two days ago, so Ash does not reach out; the CRT is told"
+1m    Morgan acknowledges Alex's alert
+30m   Morgan resolves Alex's alert

day 6
# The middle of the night and nobody on the team is awake. Alex opted
# out of Ash on day 3, so Ash does not reach out either. The bot does not
# let the CRITICAL alert wait in silence: at 5 minutes unacknowledged it
# mentions the CRT again in the thread, at 10 it escalates to the leads
# (the admins) and posts a notice in #crt-leads.
03:10  Alex posts in #vent: "I have a plan to end it all tonight"
       expect a critical alert about Alex
+3m    expect Alex's alert thread to say "Ash did not contact"
+2m    expect Alex's alert thread to say "Still unacknowledged after 5 minutes"
       note "nobody acknowledged in 5 minutes: the bot mentions the CRT again in the thread"
+5m    expect Alex's alert thread to say "Escalated: still unacknowledged after 10 minutes"
       expect #crt-leads to say "critical alert unacknowledged for 10 minutes"
       note "10 minutes: the leads are mentioned and #crt-leads gets a notice with the alert's link, naming nobody"
+2m    Avery acknowledges Alex's alert
+1m    Avery writes in Alex's alert thread: "Woke up to the ping, I'm calling Alex now"
+40m   Avery resolves Alex's alert

# Ash-NLP is down for a quarter of an hour: the CRT is told, the messages
# wait, and when it is back they are classified; the alert says how late.
16:20  Ash-NLP goes down
16:30  Riley posts in #general: "feeling really low today, I feel so alone"
       expect #crt-monitor to say "detection is DOWN"
16:32  Sam posts in #general: "anyone up for a movie night on Friday?"
16:34  Ash-NLP comes back
+1m    expect #crt-monitor to say "detection is back"
       expect a medium alert about Riley
+10m   Casey acknowledges Riley's alert
+5m    Casey resolves Riley's alert

# Robin's chat of day 5 lasted 8 minutes: a day after it, a check-in.
22:15  expect Ash's check-in to Robin

day 7
20:45  Sam posts in #vent: "I relapsed and I feel worthless"
       expect a medium alert about Sam
+3m    Avery acknowledges Sam's alert
+2m    Avery writes in Sam's alert thread: "Checking in with Sam"
+25m   Avery resolves Sam's alert

# Kai keeps talking with Ash until the chat reaches its maximum length
# (30 minutes), and Ash hands back to the team.
23:10  Kai posts in #vent: "I wrote a goodbye letter, everyone is better off without me"
       expect a critical alert about Kai
+30s   Morgan acknowledges Kai's alert
+30s   Morgan asks Ash to reach out to Kai
       Morgan writes in Kai's alert thread: "Ash is with Kai, I'm calling the on-call lead"
23:15  Kai tells Ash: "i don't know what to do"
+4m    Kai tells Ash: "it's so loud in my head"
+4m    Kai tells Ash: "i'm still here"
+4m    Kai tells Ash: "talking helps a little"
+4m    Kai tells Ash: "i keep thinking about killing myself"
       expect Kai's alert thread to say "Ash added the crisis resources to its reply"
       note "a safety rule that needs no model: Ash's reply carries the crisis resources, and the CRT is alerted in the thread"
+4m    Kai tells Ash: "thank you for staying"
+4m    Kai tells Ash: "i'm tired"
23:41  expect Kai's alert thread to say "maximum chat length"
       note "Kai's chat reached the maximum length; Ash hands back to the team"
+10m   Morgan resolves Kai's alert

day 8
# The morning after: a CRT lead posts the week's report.
09:00  Avery runs /ash report post:true
