package safety

import (
	"strings"
	"testing"
)

func TestConcern(t *testing.T) {
	cases := []struct {
		text  string
		topic string // "" for no concern
	}{
		// suicide, as people write it
		{"I want to die", TopicSuicide},
		{"i wanna die lol", TopicSuicide},
		{"I just want to die.", TopicSuicide},
		{"I'm going to kill myself", TopicSuicide},
		{"Im gonna kill my self", TopicSuicide},
		{"I'M NOT GOING TO KILL MYSELF, DON'T WORRY", TopicSuicide}, // a negation does not cancel it
		{"i would never kill myself", TopicSuicide},
		{"kms", TopicSuicide},
		{"honestly kms rn", TopicSuicide},
		{"people at school keep telling me to kys", TopicSuicide},
		{"I've been feeling suicidal again", TopicSuicide},
		{"suicidal thoughts all week", TopicSuicide},
		{"thinking about sucide", TopicSuicide},
		{"thinking about su1c1de", TopicSuicide},
		{"s*icide is on my mind", TopicSuicide},
		{"i want to unalive myself", TopicSuicide},
		{"thinking of sewerslide", TopicSuicide},
		{"I want to end my life", TopicSuicide},
		{"I'm thinking about ending it all", TopicSuicide},
		{"everyone would be better off without me", TopicSuicide},
		{"I'd be better off dead", TopicSuicide},
		{"i wish i was dead", TopicSuicide},
		{"I wish I had never been born", TopicSuicide},
		{"I don't want to be alive anymore", TopicSuicide},
		{"dont want to live anymore", TopicSuicide},
		{"I don’t want to exist", TopicSuicide},
		{"there's no reason to live", TopicSuicide},
		{"no point in living", TopicSuicide},
		{"I have nothing left to live for", TopicSuicide},
		{"I want to go to sleep and never wake up", TopicSuicide},
		{"i hope i don't wake up tomorrow", TopicSuicide},
		{"I'm going to take my own life", TopicSuicide},
		{"i want to dieeeee", TopicSuicide},
		{"I want to k!ll myself", TopicSuicide},
		{"I won't be around anymore", TopicSuicide},
		{"||kms||", TopicSuicide},               // a Discord spoiler
		{"**I want to die**", TopicSuicide},     // bold
		{"i want to die 😭😭", TopicSuicide},      // emoji
		{"I WANT TO DIE!!!", TopicSuicide},      // shouting
		{"i.want.to.die", TopicSuicide},         // dots for spaces
		{"ı want to kıll myself", TopicSuicide}, // dotless i
		{"i want to kіll myself", TopicSuicide}, // Cyrillic і
		{"suïcide", TopicSuicide},               // an accent
		{"I'm thinking of ending it", TopicSuicide},
		{"goodbye world", TopicSuicide},
		{"I want to disappear", TopicSuicide},
		{"what's the point of living", TopicSuicide},
		{"I feel like dying", TopicSuicide},
		{"I just want it all to end", TopicSuicide},
		{"nobody would miss me", TopicSuicide},
		{"no one would care if I was gone", TopicSuicide},
		{"I'm a burden to everyone", TopicSuicide},
		{"I don't see a way out... there's no way out", TopicSuicide},

		// self-harm
		{"I cut myself last night", TopicSelfHarm},
		{"I've been cutting again", TopicSelfHarm},
		{"i started cutting", TopicSelfHarm},
		{"I want to hurt myself", TopicSelfHarm},
		{"i'm not going to hurt myself", TopicSelfHarm},
		{"self-harm urges are bad today", TopicSelfHarm},
		{"my self harm is getting worse", TopicSelfHarm},
		{"I relapsed on sh", TopicSelfHarm},
		{"the urge to cut is so strong", TopicSelfHarm},
		{"I burned myself with a lighter", TopicSelfHarm},
		{"fresh cuts on my arm", TopicSelfHarm},
		{"$elf harm", TopicSelfHarm},

		// overdose
		{"I want to overdose", TopicOverdose},
		{"i took an overdose", TopicOverdose},
		{"I'm going to OD", TopicOverdose},
		{"i od'd last year", TopicOverdose},
		{"I'm thinking of taking all my pills", TopicOverdose},
		{"I swallowed a handful of pills", TopicOverdose},
		{"took too many of my meds", TopicOverdose},
		{"there's a whole bottle of sleeping pills here", TopicOverdose},
		{"I took 20 pills", TopicOverdose},
		{"i swallowed thirty tylenol", TopicOverdose},
		{"just took like 15 of my sleeping pills", TopicOverdose},

		// a plan
		{"I have a plan", TopicPlan},
		{"i've made a plan to kill myself", TopicPlan},
		{"I'm planning to end it", TopicPlan},
		{"I know how I'm going to do it", TopicPlan},
		{"I'm doing it tonight", TopicPlan},
		{"tonight is the night", TopicPlan},
		{"I wrote a goodbye letter", TopicPlan},
		{"i wrote my suicide note", TopicPlan},
		{"I've been giving away my things", TopicPlan},
		{"I already said my goodbyes", TopicPlan},
		{"when I'm gone please tell my mom", TopicPlan},
		{"I picked a date", TopicPlan},

		// a method
		{"I bought a rope", TopicMethod},
		{"thinking about a noose", TopicMethod},
		{"I want to hang myself", TopicMethod},
		{"I'm going to jump off the bridge", TopicMethod},
		{"I keep thinking of stepping in front of a train", TopicMethod},
		{"my dad has a gun in the house", TopicMethod},
		{"I have razor blades", TopicMethod},
		{"I have pills saved up", TopicMethod},
		{"i want to slit my wrists", TopicMethod},
		{"I've been stockpiling my meds", TopicMethod},
		{"what's a lethal dose of tylenol", TopicMethod},
		{"how many pills would it take", TopicMethod},
		{"what's the most painless way", TopicMethod},
		{"how to kill yourself", TopicMethod},

		// not a concern
		{"", ""},
		{"I had a rough day at school", ""},
		{"my back is killing me", ""},
		{"I'm so tired of everything", ""},
		{"I can't stop crying", ""},
		{"nobody likes me", ""},
		{"I died laughing at that video", ""},
		{"I'm dying to see the new movie", ""},
		{"my phone died", ""},
		{"I cut my hair short", ""},
		{"I'm hanging out with friends later", ""},
		{"i took my meds this morning", ""},
		{"I need to take my pills", ""},
		{"I have plans with friends tomorrow", ""},
		{"I missed the train", ""},
		{"that was a trigger for me", ""},
		{"I'll do it tomorrow after school", ""},
		{"thank you, I feel a bit better", ""},
		{"call 988", ""},
		{"I didn't wake up until noon", ""},
		{"I'm going to the bridge club", ""},
		{"I stepped in dog poo", ""},
		{"you saved my life", ""},
		{"I took 2 pills for my headache", ""},
		{"she took 5 minutes to answer", ""},
		{"I ate 10 cookies", ""},
		{"I miss my friends", ""},
		{"I hate when my phone won't end the call", ""},
		{"the point is I'm tired", ""},
	}
	for _, c := range cases {
		t.Run(c.text, func(t *testing.T) {
			topic, ok := Concern(c.text)
			if ok != (c.topic != "") || topic != c.topic {
				t.Errorf("Concern(%q) = %q, %v; want %q", c.text, topic, ok, c.topic)
			}
		})
	}
}

// The most urgent topic wins when a message has several.
func TestConcernPicksTheMostUrgent(t *testing.T) {
	cases := []struct{ text, topic string }{
		{"I want to die and I have a rope", TopicMethod},
		{"I want to die, I have a plan and a rope", TopicPlan},
		{"I cut myself and I want to overdose", TopicOverdose},
		{"I'm suicidal and I've been cutting", TopicSelfHarm},
	}
	for _, c := range cases {
		if topic, _ := Concern(c.text); topic != c.topic {
			t.Errorf("Concern(%q) = %q; want %q", c.text, topic, c.topic)
		}
	}
}

func TestWantsHuman(t *testing.T) {
	cases := []struct {
		text string
		want bool
	}{
		{"can I talk to a real person", true},
		{"Can I talk to a real person?", true},
		{"can i speak with a human", true},
		{"I want a human", true},
		{"i want a human please", true},
		{"I need a real person", true},
		{"are you a bot", true},
		{"Are you a bot?", true},
		{"r u a bot", true},
		{"are you real?", true},
		{"are you human", true},
		{"is this an AI", true},
		{"is this ai??", true},
		{"is this a real person", true},
		{"am I talking to a bot", true},
		{"am i talking to a real person or a machine", true},
		{"wait, is ash a robot", true},
		{"you're just a bot", true},
		{"ur a bot", true},
		{"I don't want to talk to a bot", true},
		{"get me someone from the team", true},
		{"get someone from the crt", true},
		{"can I talk to someone on the team", true},
		{"I'd like to speak to a team member", true},
		{"can I talk to a mod", true},
		{"is there a human I can talk to", true},
		{"can i talk to someone else", true},
		{"connect me to a person please", true},
		{"I want to talk to a person", true},
		{"human please", true},
		{"i want someone real", true},
		{"could i have a crt member", true},
		{"can i speak to an actual human being", true},
		{"put me through to someone from the crt", true},
		{"are you even real", true},
		{"am I chatting with AI", true},
		{"ur not a real person are u", true},
		{"is this a bot or a person?", true},
		{"can a human talk to me", true},
		{"can someone from the team message me", true},
		{"is anyone real there", true},
		{"is a real human reading this", true},
		{"I hate talking to bots", true},
		{"transfer me to a human", true},

		{"", false},
		{"I feel like nobody is a real friend", false},
		{"I don't feel like a real person anymore", false},
		{"my family doesn't treat me like a human", false},
		{"humans are awful", false},
		{"I want to be a better person", false},
		{"I need someone to love me", false},
		{"I want someone to talk to", false},
		{"I talked to a real person at the clinic yesterday", false},
		{"is this normal?", false},
		{"are you ok", false},
		{"is it real that it gets better?", false},
		{"I want the team at work to like me", false},
		{"my friend is a real one", false},
		{"thank you ash", false},
		{"I want to die", false},
		{"is this real life", false},
		{"i need someone", false},
		{"someone please help", false},
		{"are you there?", false},
		{"do you have feelings", false},
		{"my mom is a real person", false},
		{"you are not alone", false},
		{"can someone help me", false},
	}
	for _, c := range cases {
		t.Run(c.text, func(t *testing.T) {
			if got := WantsHuman(c.text); got != c.want {
				t.Errorf("WantsHuman(%q) = %v; want %v", c.text, got, c.want)
			}
		})
	}
}

func TestTokens(t *testing.T) {
	cases := []struct{ in, want string }{
		{"I'm NOT going to k!ll my self!!!", "i am not going to kill myself"},
		{"dont wanna", "do not want to"},
		{"su1c1de at 988", "suicide at 988"},
		{"s**cide", "suicide"},
		{"i can’t", "i can not"},
		{"dieeeee", "die"},
		{"self-harm", "self harm"},
		{"my self harm", "my self harm"},
		{"they're here", "they are here"},
	}
	for _, c := range cases {
		if got := strings.Join(tokens(c.in), " "); got != c.want {
			t.Errorf("tokens(%q) = %q; want %q", c.in, got, c.want)
		}
	}
}

// A long message is matched in reasonable time: the rules run on every
// message a person sends Ash.
func TestLongMessage(t *testing.T) {
	text := strings.Repeat("I had a long day and I am tired of it. ", 200) + "I want to die"
	if topic, ok := Concern(text); !ok || topic != TopicSuicide {
		t.Errorf("Concern(long text) = %q, %v; want suicide", topic, ok)
	}
	if WantsHuman(text) {
		t.Error("WantsHuman(long text) = true")
	}
}
