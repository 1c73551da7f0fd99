// Package safety holds Ash's safety rules that do not depend on a
// language model: whether a message the person wrote mentions suicide,
// self-harm, an overdose, a plan or a method (Concern), and whether they
// ask for a human (WantsHuman). Ash appends the crisis resources and tells
// the CRT on a concern, and hands the chat to the CRT on a request for a
// human, whatever the model says.
//
// The rules read English chat as people in crisis write it: case,
// punctuation, contractions with or without the apostrophe ("dont",
// "im"), shorthand ("kms", "wanna", "u"), letters typed as digits or
// symbols ("su1cide", "k!ll"), asterisks ("s*icide"), stretched letters
// ("dieee") and filter-dodging words ("unalive", "sewerslide").
//
// They err towards a concern: a negation does not cancel one ("I'm not
// going to kill myself" is still a concern), because a false positive
// costs the team a notice and a false negative may cost a life. A request
// for a human ends Ash's chat, so WantsHuman needs a request or a question
// about what Ash is, not any mention of a person ("nobody is a real friend"
// is not one).
//
// Nothing here logs or keeps the text it reads.
package safety

// Topics of a concern, from the most to the least urgent: Concern
// reports the first that matches.
const (
	TopicPlan     = "plan"
	TopicMethod   = "method"
	TopicOverdose = "overdose"
	TopicSelfHarm = "self_harm"
	TopicSuicide  = "suicide"
)

// Concern reports whether text mentions suicide, self-harm, an overdose, a
// plan or a method, and which: when several match, the most urgent (a
// plan, then a method, an overdose, self-harm, suicide), since that is
// what the CRT must read first.
func Concern(text string) (topic string, ok bool) {
	toks := tokens(text)
	for _, t := range concernRules {
		if anyMatch(t.rules, toks) {
			return t.topic, true
		}
	}
	return "", false
}

// WantsHuman reports whether text asks for a human instead of Ash ("can I
// talk to a real person", "get me someone from the team", "I want a
// human") or asks whether Ash is one ("are you a bot", "is this an AI").
func WantsHuman(text string) bool {
	return anyMatch(humanRules, tokens(text))
}

type topicRules struct {
	topic string
	rules []rule
}

// The rules are written against tokens: lower case, contractions spelled
// out ("i am", "do not"), "my self" joined to "myself". A slot is one
// word: a phrase of several words is several slots.
var concernRules = []topicRules{
	{TopicPlan, compile([]string{
		"have|had|got|made|making|with|found ?a|the|my plan",
		"my|the plan is|was", "a plan to",
		"plan|plans|planned|planning|decided|deciding to kill*|end|die|suicid*|overdose",
		"planned|planning|decided|deciding to do it|this",
		"plan|planned|planning how|when i",
		"plan|planned|planning it ?all ?out",
		"plan|planned|planning my death|suicide|exit|funeral",
		"it|everything|all ?is ?all planned",
		"know|decided|figured ?out how|when i am|will|would|could ?going ?to do it",
		"do|doing it tonight", "doing it tomorrow|soon",
		"tonight is the night", "today is the day", "tonight is my last",
		"picked|set|chose|chosen|choose|pick ?a|the|my date",
		"wrote|written|writing|write|finished|left ?my|a|the suicide|goodbye|final|last note|notes|letter|letters|message|messages",
		"goodbye note|notes|letter|letters",
		"give|giving|gave|given away ?all ?of my|the|everything",
		"said|saying|say my goodbyes", "this is goodbye", "goodbye forever", "final|last goodbye",
		"when|after|once|before i am gone", "when|after|once i die",
		"my last day|night|week alive|on", "last night|day alive",
		"not be here|around tomorrow|much|next|for",
		"affairs|everything|things|it ?all in order", "have|got everything ready",
		"made|wrote|updated|write|make my will",
	})},
	{TopicMethod, compile([]string{
		"hang*|shoot*|shot|drown*|poison*|gas|gassing|suffocat*|electrocut*|strangl*|stab*|starve myself",
		"noose", "rope", "hang* from",
		"jump*|throw* ?myself off|from",
		"jump*|step*|walk*|throw*|lie|lay ?myself in front",
		"in front of a|the train|car|bus|truck|subway|traffic|tram",
		"off|from a|the|my bridge|roof|rooftop|building|cliff|balcony|ledge|overpass|tower",
		"slit*|slash*|cut*|open my|the wrists|wrist|throat|veins",
		"my wrists|veins", "razor|razors|blade|blades|boxcutter",
		"gun|guns|pistol|rifle|firearm|firearms|bullet|bullets|shotgun",
		"pull the trigger", "bleach|antifreeze|helium", "carbon monoxide",
		"crash* my|the car", "crash*|drive|driving|drove|steer ?my ?car into|off a|the tree|wall|bridge|cliff|river|lake|traffic|truck",
		"stockpil*", "pills|meds|tablets|medication saved|stashed|hidden|hoarded", "saving|saved|save|collecting|hoarding|hoard ?up ?my|the pills|meds|medication|tablets",
		"lethal|fatal dose|amount|overdose",
		"how many|much pills|meds|tablets|sleeping|tylenol|paracetamol",
		"would|does|will it take to die|kill*|overdose",
		"way|ways|method|methods to die|kill*|end|overdose|hang*|suicid*",
		"way|ways|method|methods of suicid*|dying|killing",
		"painless way|death|method|methods",
		"how to kill*|die|hang*|overdose|commit|suicid*", "how to end it|my|myself",
	})},
	{TopicOverdose, compile(append(cross(
		[]string{"all ?of ?my|the|those|these", "too many|much ?of ?my|the",
			"whole|entire|full bottle|box|pack|packet|strip ?of ?my|the",
			"bottle|bottles|box|pack|packet|handful|bunch|lot|lots of ?my|the",
			"extra|double|triple|more"},
		[]string{"pills|pill|meds|medication|medications|medicine|tablets|prescription|prescriptions|antidepressants|sleeping|painkillers|insulin|tylenol|paracetamol|acetaminophen|ibuprofen|xanax|benzos|opioids|fentanyl|heroin"}),
		"overdos*", "took|taken|taking|swallowed|swallow too much|many",
		"took|taken|swallowed|swallow|popped|ate|downed|take|taking ?like|about|over|maybe # ?of ?my|the|those pills|pill|meds|tablets|tylenol|paracetamol|acetaminophen|ibuprofen|xanax|sleeping|painkillers",
	))},
	{TopicSelfHarm, compile([]string{
		"cut*|hurt*|harm*|burn*|hit|hitting|punch*|scratch*|bite|biting|punish*|bruis*|injur* myself",
		"self harm*|injur*|mutilat*", "selfharm*",
		"been|started|start|keep|kept|stop|stopped ?the cutting|burning",
		"cutting|burning again", "urge|urges to cut|burn|sh|hurt|harm",
		"want|wanted|need|needed to sh",
		"relaps* on|with|into sh|cutting", "sh relaps*|again|scars|urges|wounds",
		"my|did|doing sh", "fresh|new|deep cuts|scars|wounds", "cuts|scars|wounds on my",
		"bang*|hit* my head", "cut* my|the arm|arms|legs|thigh|thighs|skin|stomach",
	})},
	{TopicSuicide, compile([]string{
		"suicid*", "kill*|end* myself|yourself",
		"want|wanted|wanting|wish|deserve|deserved|ready|going|need|needed|plan|planning|try|trying|tried|rather to die",
		"want|wish die", "wish i could|would ?just die", "should ?just die", "let me die",
		"i hope i die", "hope|wish i do|would not wake up", "never wake up", "sleep forever",
		"wish|want|wishing ?that ?i ?was|were|to ?be dead", "would be better|happier dead", "better|be off dead",
		"better off without me", "world without me",
		"wish i was|were|had never ?been born", "should never have been born",
		"not want|wish to live|exist|wake",
		"not want|wish to be alive|here|around|living",
		"not want|wish to go|carry|keep on|going|living",
		"to not exist|be|live", "stop existing", "cease to exist", "not exist anymore",
		"no reason|point ?to|in|of live|living|exist|existing|life",
		"no reason|point ?to|in be|being alive|here",
		"no reason|point ?to|in go|going|carry|carrying|keep|keeping on|going",
		"nothing ?left to live for", "not worth living", "life is not worth", "will to live",
		"end|ending|ended my ?own life", "end|ending it all", "end everything", "end it tonight|now|today|soon",
		"take|taking|took my ?own life",
		"not be around|here anymore", "disappear forever",
		"can not go on anymore|living|like",
		"about|of|considering|consider|thinking ending it", "goodbye world|everyone|cruel",
		"want|wanting|wish to disappear|vanish", "feel|feeling like dying",
		"the point of|in living|existing|life|going|being ?on|alive",
		"want|wish it ?all to end|stop", "want|wish it ?all to be over",
		"nobody|noone|never would|will miss me", "no one would|will miss me", "would|will not miss me",
		"notice|care|matter if i was|were|am|died|disappeared ?gone|dead",
		"no way out", "a burden to|on|for", "am a burden",
	})},
}

// A request for a human: a verb of asking or talking, then the human.
var (
	// Verbs of talking take any human: "talk to a person", "speak with
	// someone else".
	talkTo = []string{
		"talk|talking|speak|speaking|chat|chatting to|with",
		"connect|transfer|pass|hand|put me|us ?over|through to|with",
		"let me talk|speak to|with",
	}
	// Verbs of asking take only a human beyond doubt: "get me someone
	// from the team", "I want a human", not "I need a person who cares".
	askFor = []string{
		"get|bring|send ?me|us", "can|could|may i|we have|get|see",
		"give me", "is there", "i|we want|need|prefer", "i would like|rather|prefer",
		"i am asking for", "please",
	}
	strongHuman = []string{
		"?a|an|some real|actual|live|proper human|humans|person|people|someone|somebody|one",
		"?a|an human|humans",
		"someone|somebody|anyone|anybody real|human|living",
		"someone|somebody|anyone|anybody|people|a|one|member|members|person|volunteer from|of|on|in ?the|your|this ?crisis|response team|crt|staff|mods|moderators|volunteers",
		"?a|an|the|your crt|team|staff|crisis volunteer|member|members|person|people|volunteers|responder|responders",
		"?a|an|the|your mod|mods|moderator|moderators|admin|admins|counselor|counselors|counsellor|counsellors|volunteer|volunteers|crt|responder|responders",
		"one of the|your mods|moderators|admins|counselors|counsellors|volunteers|responders",
		"the|your crisis|response team", "?the|your staff",
	}
	weakHuman = []string{
		"?a|an person|people",
		"the|your team",
		"someone|somebody|anyone|anybody else|different|other",
	}
	// What Ash is, asked about: "are you a bot", "is this an AI", "am I
	// talking to a real person".
	whatIs = []string{
		"are you", "is this|ash", "is this chat|thing|account", "am i talking|speaking|chatting to|with",
		"are we talking|speaking|chatting to|with",
	}
	machine = []string{
		"?just|actually|really|even|like|only|literally|still ?a|an bot|bots|robot|ai|machine|computer|program|chatbot|script|algorithm|automated|automatic|llm|gpt|chatgpt|claude",
	}
	personNoun = []string{
		"?just|actually|really|even|like|still ?a|an ?real|actual|live|living person|human|people|humans",
		"someone|somebody|anyone real|human",
	}
)

var humanRules = compile(concat(
	cross(talkTo, concat(strongHuman, weakHuman)),
	cross(askFor, strongHuman),
	cross(whatIs, concat(machine, personNoun)),
	[]string{"are you ?even|actually|really|still real|alive|human"},
	// "you're a bot", "ur just an AI", "I don't want to talk to a machine"
	cross([]string{"you are", "ur|youre|your",
		"not|no|never|hate|stop|instead ?want|wanna|like|liking ?to ?of talk|talking|speak|speaking|chat|chatting to|with",
		"tired|sick of talk|talking|speaking|chatting to|with"}, machine),
	[]string{"human|person please", "someone real please"},
	// "you're not a real person", "ur not even human"
	cross([]string{"you|u are|r not ?even", "ur|youre not ?even"}, concat(personNoun, []string{"real|human|alive"})),
	// "can a human talk to me", "can someone from the team message me"
	cross(cross([]string{"can|could|will|would|please|may"}, strongHuman),
		[]string{"talk|message|dm|contact|reach|text|speak|chat|call|answer|take"}),
	[]string{"is anyone|anybody|someone|somebody real|human", "is a|an real|actual|live human|person reading|there|here|on|listening|answering|behind|typing"},
))

func concat(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}
