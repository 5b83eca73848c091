#!/usr/bin/env python3
"""Generates the benchmark corpora for bench/compare.sh.

  gen_corpus.py pods N OUT.yaml      one file of N small insecure Pods (5 findings each)
  gen_corpus.py corpus FILES OUTDIR  a realistic mix in FILES files: Deployments with and
                                     without securityContext, CronJobs, DaemonSets,
                                     multi-document files, NetworkPolicies, Services, ConfigMaps

Deterministic: the same arguments write the same bytes.
"""
import os
import sys

POD = """apiVersion: v1
kind: Pod
metadata:
  name: pod-{i}
  namespace: team-{ns}
  labels:
    app: pod-{i}
spec:
  containers:
    - name: app
      image: registry.example.com/app:{i}
      ports:
        - containerPort: 8080
"""

DEPLOYMENT_INSECURE = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-{i}
  namespace: team-{ns}
  labels:
    app: web-{i}
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web-{i}
  template:
    metadata:
      labels:
        app: web-{i}
    spec:
      containers:
        - name: web
          image: registry.example.com/web:{i}
          ports:
            - containerPort: 8080
              name: http
          env:
            - name: MODE
              value: production
          resources:
            limits:
              cpu: 500m
              memory: 256Mi
"""

DEPLOYMENT_SECURE = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: api-{i}
  namespace: team-{ns}
spec:
  replicas: 2
  selector:
    matchLabels: {{app: api-{i}}}
  template:
    metadata:
      labels: {{app: api-{i}}}
    spec:
      securityContext:
        runAsNonRoot: true
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: api
          image: registry.example.com/api:{i}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: ["ALL"]
"""

CRONJOB = """apiVersion: batch/v1
kind: CronJob
metadata:
  name: report-{i}
  namespace: team-{ns}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - name: report
              image: registry.example.com/report:{i}
              args: ["--since", "24h"]
"""

DAEMONSET = """apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent-{i}
  namespace: kube-system
spec:
  selector: {{matchLabels: {{app: agent-{i}}}}}
  template:
    metadata: {{labels: {{app: agent-{i}}}}}
    spec:
      hostNetwork: true
      volumes:
        - name: logs
          hostPath: {{path: /var/log}}
      containers:
        - name: agent
          image: registry.example.com/agent:{i}
          securityContext: {{privileged: true}}
          volumeMounts: [{{name: logs, mountPath: /var/log}}]
"""

SERVICE = """apiVersion: v1
kind: Service
metadata:
  name: web-{i}
  namespace: team-{ns}
spec:
  selector:
    app: web-{i}
  ports:
    - port: 80
      targetPort: http
"""

CONFIGMAP = """apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg-{i}
  namespace: team-{ns}
data:
  app.properties: |
    mode=prod
    workers=4
"""

NETPOL = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web-{i}
  namespace: team-{ns}
spec:
  podSelector:
    matchLabels:
      app: web-{i}
  policyTypes: [Ingress, Egress]
  ingress:
    - from:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: team-{ns}
          podSelector:
            matchLabels:
              role: frontend
      ports:
        - port: 8080
  egress:
    - to:
        - namespaceSelector: {{}}
      ports:
        - port: 53
          protocol: UDP
"""


def pods(n, out):
    with open(out, "w") as f:
        f.write("---\n".join(POD.format(i=i, ns=i % 7) for i in range(n)))


# One file of each shape in turn; every fourth file is a multi-document app bundle.
SHAPES = [DEPLOYMENT_INSECURE, DEPLOYMENT_SECURE, CRONJOB, SERVICE, CONFIGMAP, NETPOL, DAEMONSET]
BUNDLE = [DEPLOYMENT_INSECURE, SERVICE, CONFIGMAP, NETPOL]


def corpus(files, outdir):
    for i in range(files):
        d = os.path.join(outdir, f"team-{i % 7}", f"app-{i // 7}")
        os.makedirs(d, exist_ok=True)
        if i % 4 == 3:
            text = "---\n".join(t.format(i=i, ns=i % 7) for t in BUNDLE)
        else:
            text = SHAPES[i % len(SHAPES)].format(i=i, ns=i % 7)
        with open(os.path.join(d, f"m{i}.yaml"), "w") as f:
            f.write(text)


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in ("pods", "corpus"):
        sys.exit(__doc__)
    {"pods": pods, "corpus": corpus}[sys.argv[1]](int(sys.argv[2]), sys.argv[3])
