package config

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestReportTargets(t *testing.T) {
	cfg, _ := mustLoad(t, with(base(), "BOT_REPORT_TARGETS", " acknowledge=5m, first_response=15m,resolve=2h ,Critical.Acknowledge=90s,high.ash_contact=1h30m,"))
	want := []ReportTarget{
		{Metric: "acknowledge", Within: 5 * time.Minute},
		{Metric: "first_response", Within: 15 * time.Minute},
		{Metric: "resolve", Within: 2 * time.Hour},
		{Metric: "acknowledge", Severity: "critical", Within: 90 * time.Second},
		{Metric: "ash_contact", Severity: "high", Within: 90 * time.Minute},
	}
	if !reflect.DeepEqual(cfg.Report.Targets, want) {
		t.Errorf("targets = %+v, want %+v", cfg.Report.Targets, want)
	}
}

func TestReportTargetsNameTheBadPart(t *testing.T) {
	cases := []struct{ raw, says string }{
		{"acknowledge=5m,acknowlege=5m", `"acknowlege=5m": unknown metric "acknowlege"`},
		{"resolve", `"resolve": no =`},
		{"urgent.acknowledge=5m", `unknown severity "urgent"`},
		{"acknowledge=5", `"5" is not a duration`},
		{"acknowledge=0s", `"0s" is not a duration`},
		{"acknowledge=1.5s", `"1.5s" is not a duration of whole seconds`},
		{"resolve=200h", `"200h" is not a duration`},
		{"acknowledge=5m,ACKNOWLEDGE=4m", `"ACKNOWLEDGE=4m" repeats acknowledge`},
		{"critical.resolve=1h,critical.resolve=2h", `repeats critical.resolve`},
	}
	for _, c := range cases {
		errs := mustFail(t, with(base(), "BOT_REPORT_TARGETS", c.raw), nil)
		if len(errs.Problems) != 1 || errs.Problems[0].Var != "BOT_REPORT_TARGETS" || !strings.Contains(errs.Problems[0].Allowed, c.says) {
			t.Errorf("%q: problems %+v, want BOT_REPORT_TARGETS saying %s", c.raw, errs.Problems, c.says)
		}
	}
	// The same metric for all alerts and for one severity are two targets.
	if cfg, _ := mustLoad(t, with(base(), "BOT_REPORT_TARGETS", "acknowledge=5m,critical.acknowledge=2m")); len(cfg.Report.Targets) != 2 {
		t.Errorf("targets = %+v", cfg.Report.Targets)
	}
}
