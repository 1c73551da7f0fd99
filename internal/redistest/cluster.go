package redistest

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Cluster is a throw-away Redis Cluster of masters only, to prove that
// ashbot's keys and scripts never need two hash slots at once.
type Cluster struct {
	Nodes []*Server
}

// StartCluster starts n (at least 3) cluster-enabled servers and joins them
// with redis-cli --cluster create, spreading the slots over all of them.
func StartCluster(n int) (*Cluster, error) {
	c := &Cluster{}
	for range n {
		s, err := Start("cluster-enabled yes", "cluster-config-file nodes.conf", "cluster-node-timeout 5000")
		if err != nil {
			c.Stop()
			return nil, err
		}
		// Each node needs its own nodes.conf: give it its own directory name.
		c.Nodes = append(c.Nodes, s)
	}
	args := []string{"--cluster", "create"}
	for _, s := range c.Nodes {
		args = append(args, s.Addr)
	}
	args = append(args, "--cluster-yes")
	if out, err := exec.Command("redis-cli", args...).CombinedOutput(); err != nil {
		c.Stop()
		return nil, fmt.Errorf("redis-cli --cluster create: %w: %s", err, out)
	}
	ctx := context.Background()
	deadline := time.Now().Add(10 * time.Second)
	for _, s := range c.Nodes {
		cl := s.Client(0)
		for {
			info, err := cl.ClusterInfo(ctx).Result()
			if err == nil && strings.Contains(info, "cluster_state:ok") {
				break
			}
			if time.Now().After(deadline) {
				cl.Close()
				c.Stop()
				return nil, fmt.Errorf("cluster at %s not ok: %v %s", s.Addr, err, info)
			}
			time.Sleep(50 * time.Millisecond)
		}
		cl.Close()
	}
	return c, nil
}

// Client returns a cluster client; the caller closes it.
func (c *Cluster) Client() *redis.ClusterClient {
	addrs := make([]string, len(c.Nodes))
	for i, s := range c.Nodes {
		addrs[i] = s.Addr
	}
	return redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
}

// Stop stops every node.
func (c *Cluster) Stop() {
	for _, s := range c.Nodes {
		s.Stop()
	}
}
