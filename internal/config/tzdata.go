package config

// The zone database is compiled in so that BOT_REPORT_TIMEZONE works in
// the scratch container image, which has no /usr/share/zoneinfo, and reads
// the same on every host.
import _ "time/tzdata"
