package detection

import (
	"context"
	"fmt"
	"time"

	"github.com/disgoorg/disgo/discord"

	"github.com/alphabetcartel/ashbot/internal/discordapi"
)

func downNotice(reason string, backlog time.Duration) string {
	keep := "Messages posted meanwhile are NOT classified and will not be kept: please keep an eye on the monitored channels."
	if backlog > 0 {
		keep = fmt.Sprintf("Messages posted meanwhile are kept for up to %s and classified when it is back; "+
			"alerts raised then will say how late they are. Until then, please keep an eye on the monitored channels.", backlog)
	}
	return "🚨 **Automatic crisis detection is DOWN.** " + reason + ".\n" + keep +
		"\nFlag for CRT still works."
}

func upNotice(took time.Duration, o outage, waiting int) string {
	text := fmt.Sprintf("✅ **Automatic crisis detection is back** after %s.", took.Round(time.Second))
	if o.held > 0 {
		text += fmt.Sprintf("\n%d message(s) could not be classified while it was down", o.held)
		if waiting > 0 {
			text += fmt.Sprintf("; %d are being classified now", waiting)
		}
		text += "."
	}
	if o.dropped > 0 {
		text += fmt.Sprintf("\n⚠️ %d message(s) were never classified (kept too long or too many): "+
			"please look through the monitored channels for the outage's time.", o.dropped)
	}
	return text
}

// noticeAttempts is how often a notice is tried.
const noticeAttempts = 5

// notice queues text for the status channel (the caller may hold the
// intake's lock). One goroutine posts the queue in order, so "back" never
// overtakes "down". With no status channel, it is logged only.
func (in *Intake) notice(text string) {
	if in.opts.StatusChannel == "" {
		in.log.Error("detection status changed but no status channel is configured", "notice", text)
		return
	}
	in.stats.notices.Add(1)
	in.noticeMu.Lock()
	defer in.noticeMu.Unlock()
	in.noticeQ = append(in.noticeQ, text)
	if in.posting {
		return
	}
	in.posting = true
	in.notices.Add(1)
	go func() {
		defer in.notices.Done()
		for {
			in.noticeMu.Lock()
			if len(in.noticeQ) == 0 {
				in.posting = false
				in.noticeMu.Unlock()
				return
			}
			next := in.noticeQ[0]
			in.noticeQ = in.noticeQ[1:]
			in.noticeMu.Unlock()
			in.postNotice(next)
		}
	}()
}

// postNotice posts one notice, retrying what may pass; it matters, but
// must not pile up behind a Discord outage.
func (in *Intake) postNotice(text string) {
	ch := in.opts.StatusChannel
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	msg := discord.MessageCreate{Content: text, AllowedMentions: discordapi.NoMentions()}
	nonce := discordapi.Nonce("detection-status", text, in.opts.Clock.Now().String())
	delay := 500 * time.Millisecond
	for attempt := 1; ; attempt++ {
		_, err := in.opts.Poster.Post(ctx, ch, msg, nonce)
		if err == nil {
			return
		}
		if !discordapi.IsRetryable(err) || attempt >= noticeAttempts {
			in.log.Error("detection status notice not posted", "channel_id", ch, "error", err.Error())
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay *= 2
	}
}
