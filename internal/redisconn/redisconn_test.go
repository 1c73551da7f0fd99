package redisconn

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alphabetcartel/ashbot/internal/config"
	"github.com/alphabetcartel/ashbot/internal/redistest"
)

func settings(addr string) config.Redis {
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	return config.Redis{Host: host, Port: p, Mode: config.ModeStandalone, DialTimeout: time.Second,
		ReadTimeout: time.Second, WriteTimeout: time.Second, PoolSize: 4}
}

func TestPasswordAndACLUser(t *testing.T) {
	srv, err := redistest.Start("requirepass s3cret", "user alice on >alicepw ~* &* +@all")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	ctx := context.Background()

	cases := []struct {
		name, user, pass string
		wantErr          string
	}{
		{"default user", "", "s3cret", ""},
		{"acl user", "alice", "alicepw", ""},
		{"wrong password", "", "nope", `refused the credentials of user "default"`},
		{"wrong acl password", "alice", "nope", `refused the credentials of user "alice"`},
		{"no password", "", "", "refused the credentials"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := settings(srv.Addr)
			s.Username, s.Password = c.user, c.pass
			rdb, err := Connect(ctx, s)
			if c.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				rdb.Close()
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("err = %v, want %q", err, c.wantErr)
			}
			if strings.Contains(err.Error(), c.pass) && c.pass != "" {
				t.Fatalf("error shows the password: %v", err)
			}
		})
	}
}

func TestUnreachable(t *testing.T) {
	s := settings("127.0.0.1:1")
	_, err := Connect(context.Background(), s)
	if err == nil || !strings.Contains(err.Error(), "cannot reach redis at 127.0.0.1:1") {
		t.Fatalf("err = %v", err)
	}
}

func TestTLS(t *testing.T) {
	dir := t.TempDir()
	ca, cert, key := writeCerts(t, dir)
	port := freePort(t)
	srv, err := redistest.Start("tls-port "+strconv.Itoa(port), "tls-cert-file "+cert, "tls-key-file "+key,
		"tls-ca-cert-file "+ca, "tls-auth-clients no")
	if err != nil {
		t.Fatalf("start redis-server with TLS: %v", err)
	}
	defer srv.Stop()
	s := settings("127.0.0.1:" + strconv.Itoa(port))
	s.Host = "localhost" // the certificate's name
	s.TLS, s.TLSCAFile = true, ca
	rdb, err := Connect(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	rdb.Close()

	// Without the CA the server's certificate is not trusted.
	s.TLSCAFile = ""
	if _, err := Connect(context.Background(), s); err == nil {
		t.Fatal("connected to an untrusted certificate")
	}
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// writeCerts makes a CA and a server certificate for localhost.
func writeCerts(t *testing.T, dir string) (caPath, certPath, keyPath string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ashbot test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	srvKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	srvTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	caCert, _ := x509.ParseCertificate(caDER)
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, caCert, &srvKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(srvKey)
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	return write("ca.pem", "CERTIFICATE", caDER), write("server.pem", "CERTIFICATE", srvDER), write("server.key", "EC PRIVATE KEY", keyDER)
}

func TestSentinel(t *testing.T) {
	master, err := redistest.Start("requirepass s3cret")
	if err != nil {
		t.Fatal(err)
	}
	defer master.Stop()
	sent, err := redistest.StartSentinel("ashmaster", master.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer sent.Stop()
	// Sentinel authenticates to the master with the same password.
	s := settings(master.Addr)
	s.Mode, s.Addrs, s.SentinelMaster, s.Password = config.ModeSentinel, []string{sent.Addr}, "ashmaster", "s3cret"
	ctx := context.Background()
	var rdb interface{ Close() error }
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := Connect(ctx, s)
		if err == nil {
			if err := c.Set(ctx, "via-sentinel", "1", time.Minute).Err(); err != nil {
				t.Fatal(err)
			}
			rdb = c
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("connect through sentinel: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	rdb.Close()
	direct := master.Client(0)
	defer direct.Close()
	direct.Do(ctx, "AUTH", "s3cret")
	if got := direct.Get(ctx, "via-sentinel").Val(); got != "1" {
		t.Fatalf("the write did not reach the master: %q", got)
	}
}
