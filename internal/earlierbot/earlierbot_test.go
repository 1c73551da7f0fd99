package earlierbot

import (
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	want := time.Date(2026, 1, 5, 12, 0, 0, 123456000, time.UTC)
	for _, s := range []string{
		"2026-01-05T12:00:00.123456+00:00", // datetime.now(timezone.utc).isoformat()
		"2026-01-05T12:00:00.123456",       // datetime.utcnow().isoformat()
		"2026-01-05T12:00:00.123456Z",      // ... + "Z", as its metrics models write
		"2026-01-05 12:00:00.123456",
		"2026-01-05T14:00:00.123456+02:00",
		"1767614400.123456", // unix seconds
	} {
		got, err := ParseTime(s)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"", "yesterday", "1767614400123"} {
		if _, err := ParseTime(s); err == nil {
			t.Errorf("ParseTime(%q) accepted", s)
		}
	}
}

func TestOptOutRoundTrip(t *testing.T) {
	at := time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)
	v := EncodeOptOut("123456789012345678", at, at.Add(30*24*time.Hour))
	// What the earlier bot's UserPreference.from_dict needs: an int-able
	// user_id and aware ISO times.
	want := `{"user_id": 123456789012345678, "opted_out": true, "opted_out_at": "2026-01-05T12:00:00.000000+00:00", "expires_at": "2026-02-04T12:00:00.000000+00:00"}`
	if v != want {
		t.Errorf("EncodeOptOut =\n%s\nwant\n%s", v, want)
	}
	o, err := ParseOptOut(v)
	if err != nil || o.UserID != "123456789012345678" || !o.OptedOutAt.Equal(at) || !o.ExpiresAt.Equal(at.Add(30*24*time.Hour)) {
		t.Errorf("ParseOptOut: %+v %v", o, err)
	}
	if _, err := ParseOptOut(`{"user_id": 1, "opted_out": false}`); err == nil {
		t.Error("opted_out: false read as an opt-out")
	}
	if _, err := ParseOptOut("1767614400000"); err == nil {
		t.Error("unix ms read as the JSON form")
	}
}

func TestParsePendingAlert(t *testing.T) {
	p, err := ParsePendingAlert(`{"alert_message_id": 1, "alert_channel_id": 2, "user_id": 3, "original_message_id": 4, "original_channel_id": 5, "severity": "HIGH", "created_at": "2026-01-05T12:00:00+00:00", "expires_at": "2026-01-05T12:03:00+00:00", "auto_initiated": false, "cancelled": false}`)
	if err != nil || p.AlertMessageID != "1" || p.OriginalMessageID != "4" || p.Severity != "high" || p.ExpiresAt.Sub(p.CreatedAt) != 3*time.Minute {
		t.Errorf("ParsePendingAlert: %+v %v", p, err)
	}
	if _, err := ParsePendingAlert(`{"alert_message_id": 1, "severity": "high"}`); err == nil {
		t.Error("a pending alert without ids accepted")
	}
}
