package config

import (
	"net/url"
	"strings"
	"unicode"
)

// masked replaces whatever part of a value must not be shown.
const masked = "***"

// looksLikeURL reports whether a value is a URL, so that show masks its
// credentials whichever option it belongs to: a base URL added later gets
// the same protection without anyone remembering to ask for it.
func looksLikeURL(raw string) bool {
	v := strings.TrimSpace(raw)
	return strings.Contains(v, "://") && !strings.ContainsFunc(v, unicode.IsSpace)
}

// redactURL hides every credential-looking part of a URL: the password of
// its userinfo (a user name alone is hidden too, since tokens are often
// passed that way), and the values of query and fragment parameters whose
// names suggest a credential (password=, token=, key=, secret=, auth...).
// A value that does not parse but might carry one is hidden whole: an
// operator can find a typo in their own file, but a leaked password cannot
// be unleaked.
func redactURL(raw string) string {
	v := strings.TrimSpace(raw)
	u, err := url.Parse(v)
	if err != nil || u.Opaque != "" {
		if strings.ContainsAny(v, "@=") {
			return masked
		}
		return raw
	}
	if u.User == nil && strings.Contains(v, "@") {
		// An "@" outside the userinfo: hide it rather than guess.
		return masked
	}
	if u.User == nil && len(credentialParams(u.RawQuery)) == 0 && len(credentialParams(u.EscapedFragment())) == 0 {
		// Nothing to hide: show it exactly as written.
		return raw
	}
	bare := *u
	bare.User, bare.RawQuery, bare.Fragment, bare.RawFragment = nil, "", "", ""
	out := bare.String()
	if u.User != nil {
		prefix := "//"
		if u.Scheme != "" {
			prefix = u.Scheme + "://"
		}
		rest, ok := strings.CutPrefix(out, prefix)
		if !ok {
			return masked
		}
		info := masked + "@"
		if _, hasPassword := u.User.Password(); hasPassword {
			info = url.User(u.User.Username()).String() + ":" + masked + "@"
		}
		out = prefix + info + rest
	}
	if u.RawQuery != "" || u.ForceQuery {
		out += "?" + maskParams(u.RawQuery)
	}
	if f := u.EscapedFragment(); f != "" {
		out += "#" + maskParams(f)
	}
	return out
}

// maskParams masks the values of credential-looking parameters in a query
// (or fragment) as written, keeping their order and encoding.
func maskParams(raw string) string {
	var b strings.Builder
	for raw != "" {
		i := strings.IndexAny(raw, "&;")
		seg, sep := raw, ""
		if i >= 0 {
			seg, sep, raw = raw[:i], raw[i:i+1], raw[i+1:]
		} else {
			raw = ""
		}
		name, _, hasValue := strings.Cut(seg, "=")
		if hasValue && credentialParam(name) {
			seg = name + "=" + masked
		}
		b.WriteString(seg)
		b.WriteString(sep)
	}
	return b.String()
}

// credentialWords are parts of parameter names that carry credentials in
// common client URLs (password, pass, pwd, token, access_token, api_key,
// secret, client_secret, auth, authorization, credentials, sig, signature,
// jwt).
var credentialWords = []string{"pass", "pwd", "token", "key", "secret", "auth", "cred", "sig", "jwt", "bearer"}

// credentialParam reports whether a (possibly escaped) parameter name
// suggests a credential. Hiding a harmless value is cheap; showing a
// password is not, so the match is broad.
func credentialParam(name string) bool {
	if n, err := url.QueryUnescape(name); err == nil {
		name = n
	}
	name = strings.ToLower(name)
	for _, w := range credentialWords {
		if strings.Contains(name, w) {
			return true
		}
	}
	return false
}

// credentialParams lists the credential-looking parameter names of a raw
// query, for refusing them where the bot would otherwise ignore them.
func credentialParams(rawQuery string) []string {
	var names []string
	for seg := range strings.FieldsFuncSeq(rawQuery, func(r rune) bool { return r == '&' || r == ';' }) {
		name, _, _ := strings.Cut(seg, "=")
		if credentialParam(name) {
			names = append(names, name)
		}
	}
	return names
}
