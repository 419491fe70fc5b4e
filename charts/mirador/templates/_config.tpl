{{/*
The `<component>.config` value applied to the component's default collector config
("mirador.config.<component>", _helpers.tpl). README "Collector config" documents these rules:

- Maps merge, lists replace. `null` removes a key of the defaults; a component of the chart removed
  with `null` also leaves every pipeline, and a pipeline left without receivers or exporters goes.
  On a component id the defaults do not have, `null` means that component with its own defaults, as
  in a collector config.
- Every component you define takes effect, or the render fails naming it:
    processors     listed in no pipeline: join every pipeline of the signals they apply to
                   ("mirador.processorSignals"), right after memory_limiter (first where there is
                   none), so before the chart's own processing and before batch; several in the
                   alphabetical order of their ids. batch/<signal> replaces batch in that signal's
                   pipelines; probabilistic_sampler joins the pipeline that stores traces only.
    exporters      otlp/logs, otlp/traces, otlp/metrics (any OTLP exporter type; also
                   <type>/victoriametrics, <type>/victoriatraces): the backend of that role for the
                   whole release ("mirador.roles"), written where the chart writes that backend.
                   loadbalancing/<target>[-<signal>]: replaces the chart's route to <target>
                   (in that signal's pipelines), over the chart's settings for it.
    extensions     join service.extensions.
    the rest       (receivers, connectors, other exporters) must be listed in a pipeline.
- health_check stays in service.extensions and on ports.healthCheck: the probes call it.
*/}}

{{/* dst := dst deep-merged with src: maps merge, anything else (lists, false, 0, "") replaces.
     sprig's mergeOverwrite skips false, 0 and "" (so `insecure: false` would not apply).
     Args: dict dst src; returns nothing (dst is changed). */}}
{{- define "mirador.deepMerge" -}}
{{- $dst := .dst -}}
{{- range $k, $sv := .src -}}
{{- $dv := index $dst $k -}}
{{- if and (kindIs "map" $sv) (kindIs "map" $dv) -}}
{{- include "mirador.deepMerge" (dict "dst" $dv "src" $sv) -}}
{{- else -}}
{{- $_ := set $dst $k (deepCopy $sv) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Applies the `null`s of src to dst (removing those keys) and takes them out of src.
     Args: dict dst src (dst may be absent) */}}
{{- define "mirador.applyNulls" -}}
{{- $dst := .dst -}}{{- $src := .src -}}
{{- range $k := keys $src | sortAlpha -}}
{{- $sv := index $src $k -}}
{{- if kindIs "invalid" $sv -}}
{{- if kindIs "map" $dst -}}{{- $_ := unset $dst $k -}}{{- end -}}
{{- $_ := unset $src $k -}}
{{- else if kindIs "map" $sv -}}
{{- include "mirador.applyNulls" (dict "dst" (ternary (index (default dict $dst) $k) nil (kindIs "map" $dst)) "src" $sv) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Processor type -> the signals a processor of that type joins when no pipeline lists it.
     filter, transform: the signals their settings name (setting -> signal); probabilistic_sampler:
     "store" (the pipeline that stores traces); batch: "replace" (batch/<signal>).
     test/chart checks every type here supports these signals in `otelcol-mirador components`. */}}
{{- define "mirador.processorSignals" -}}
attributes: [traces, metrics, logs]
resource: [traces, metrics, logs]
memory_limiter: [traces, metrics, logs]
filter: {traces: [traces], spans: [traces], metrics: [metrics], logs: [logs]}
transform: {trace_statements: [traces], metric_statements: [metrics], log_statements: [logs]}
deltatocumulative: [metrics]
isolationforest: [metrics]
probabilistic_sampler: store
batch: replace
{{- end -}}

{{/* The backends users name with the original chart's exporter ids: role -> {id, config, from}.
     One definition per role for the whole release (several components may repeat it identically).
     Args: $ (root) */}}
{{- define "mirador.roles" -}}
{{- $roles := dict -}}
{{- $roleOfName := dict "logs" "logs" "traces" "traces" "victoriatraces" "traces" "metrics" "metrics" "victoriametrics" "metrics" -}}
{{- range $c := splitList " " (include "mirador.components" $) -}}
{{- $v := index $.Values $c -}}
{{- if and $v $v.enabled -}}
{{- $exps := (($v.config | default dict).exporters | default dict) -}}
{{- range $id := keys $exps | sortAlpha -}}
{{- $conf := index $exps $id -}}
{{- /* a null here removes the chart's exporter in that component ("mirador.config.final") */}}
{{- if and (regexMatch "^(otlp|otlp_grpc|otlphttp|otlp_http)/(logs|traces|metrics|victoriametrics|victoriatraces)$" $id) (kindIs "map" $conf) -}}
{{- $role := index $roleOfName (last (splitList "/" $id)) -}}
{{- $prev := index $roles $role -}}
{{- if $prev -}}
{{- if or (ne $prev.id $id) (ne (toJson $prev.config) (toJson $conf)) -}}
{{- fail (printf "%s.config.exporters.%s and %s.config.exporters.%s both define the %s backend, differently: a release has one %s backend; define it once (under any component) or identically" (first $prev.from) $prev.id $c $id $role $role) -}}
{{- end -}}
{{- $_ := set $prev "from" (append $prev.from $c) -}}
{{- else -}}
{{- $_ := set $roles $role (dict "id" $id "config" $conf "from" (list $c)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- with $roles.traces -}}
{{- if eq $.Values.backends.victoriaTraces.exportedBy "none" -}}
{{- fail (printf "%s.config.exporters.%s defines the traces backend, but backends.victoriaTraces.exportedBy=none stores no traces: set exportedBy to the component that writes them (gateway, servicegraph or spanmetrics)" (first .from) .id) -}}
{{- end -}}
{{- end -}}
{{- with $roles.logs -}}
{{- if not (include "mirador.logsWriter" $) -}}
{{- fail (printf "%s.config.exporters.%s defines the logs backend, but logs are written by the gateway (and, without it, by isolationforest's anomaly events) and gateway.enabled=false" (first .from) .id) -}}
{{- end -}}
{{- end -}}
{{- toJson $roles -}}
{{- end -}}

{{/* The final collector config of one component, as JSON.
     Args: dict root v name default (the component's default config, a dict) roles */}}
{{- define "mirador.config.final" -}}
{{- $r := .root -}}{{- $name := .name -}}{{- $v := .v -}}{{- $roles := .roles -}}
{{- $d := .default -}}
{{- $u := deepCopy ($v.config | default dict) -}}
{{- $at := printf "%s.config" $name -}}
{{- $kinds := list "receivers" "processors" "exporters" "connectors" "extensions" -}}
{{- $lists := list "receivers" "processors" "exporters" -}}
{{- range $k := $kinds -}}
{{- if not (kindIs "map" (index $d $k)) -}}{{- $_ := set $d $k dict -}}{{- end -}}
{{- if not (kindIs "map" (index $u $k)) -}}{{- $_ := set $u $k dict -}}{{- end -}}
{{- end -}}
{{- $uPipes := (($u.service | default dict).pipelines | default dict) -}}

{{- /* ids the user lists in a pipeline of their own: placed by the user, never moved */}}
{{- $placed := dict -}}
{{- range $p, $pipe := $uPipes -}}
{{- if kindIs "map" $pipe -}}
{{- range $l := $lists -}}
{{- range $id := (index $pipe $l | default list) -}}{{- $_ := set $placed $id $p -}}{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- /* backend roles: id -> role, and id -> the id of the exporter that writes that role */}}
{{- $roleOf := dict -}}{{- $effective := dict -}}
{{- range $role := list "metrics" "traces" "logs" -}}
{{- $chartId := include "mirador.backendId" (dict "root" $r "role" $role) -}}
{{- $eff := $chartId -}}
{{- with index $roles $role -}}{{- $eff = .id -}}{{- $_ := set $roleOf .id $role -}}{{- $_ := set $effective .id .id -}}{{- end -}}
{{- if regexMatch "^otlp" $chartId -}}{{- $_ := set $roleOf $chartId $role -}}{{- $_ := set $effective $chartId $eff -}}{{- end -}}
{{- end -}}

{{- /* null on a component id: remove the chart's component, or a component of your own with its defaults */}}
{{- $removed := dict -}}
{{- range $k := $kinds -}}
{{- $um := index $u $k -}}
{{- range $id := keys $um | sortAlpha -}}
{{- if kindIs "invalid" (index $um $id) -}}
{{- if hasKey (index $d $k) $id -}}
{{- if and (eq $k "extensions") (eq $id "health_check") -}}
{{- fail (printf "%s.extensions.health_check: null would leave the liveness and readiness probes (port %s.ports.healthCheck) nothing to call and keep every pod un-Ready: keep health_check (its port is %s.ports.healthCheck)" $at $name $name) -}}
{{- end -}}
{{- $_ := unset (index $d $k) $id -}}
{{- $_ := set $removed (printf "%s/%s" $k $id) true -}}
{{- $_ := unset $um $id -}}
{{- else -}}
{{- $_ := set $um $id dict -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- include "mirador.applyNulls" (dict "dst" $d "src" $u) -}}

{{- /* role exporters are the release's (injected by "mirador.backend" where the role is written);
       one the user lists in a pipeline of a component that does not write that role is added there */}}
{{- range $id := keys $u.exporters | sortAlpha -}}
{{- if hasKey $roleOf $id -}}{{- $_ := unset $u.exporters $id -}}{{- end -}}
{{- end -}}
{{- range $id := keys $placed | sortAlpha -}}
{{- if and (hasKey $roleOf $id) (not (hasKey $d.exporters (index $effective $id))) -}}
{{- $_ := include "mirador.backend" (dict "root" $r "v" $v "name" $name "cfg" $d "roles" $roles "role" (index $roleOf $id)) -}}
{{- end -}}
{{- end -}}

{{- /* load-balancing exporters: a resolver of yours replaces the chart's (two resolvers are an error);
       loadbalancing/<target>[-<signal>] replaces the chart's route to <target> */}}
{{- range $id := keys $u.exporters | sortAlpha -}}
{{- $uc := index $u.exporters $id -}}
{{- if and (hasPrefix "loadbalancing/" $id) (kindIs "map" $uc) -}}
{{- if hasKey $d.exporters $id -}}
{{- if hasKey $uc "resolver" -}}{{- $_ := unset (index $d.exporters $id) "resolver" -}}{{- end -}}
{{- else -}}
{{- $rest := trimPrefix "loadbalancing/" $id -}}
{{- $target := "" -}}
{{- range $c := splitList " " (include "mirador.components" $r) -}}
{{- if or (eq $rest $c) (hasPrefix (printf "%s-" $c) $rest) -}}{{- $target = $c -}}{{- end -}}
{{- end -}}
{{- if $target -}}
{{- $suffix := trimPrefix "-" (trimPrefix $target $rest) -}}
{{- $signal := ternary $suffix "" (has $suffix (list "traces" "metrics" "logs")) -}}
{{- $chartId := printf "loadbalancing/%s" $target -}}
{{- $base := index $d.exporters $chartId -}}
{{- if not $base -}}
{{- fail (printf "%s.exporters.%s: %s has no route to %s to replace (%s)" $at $id $name $target (ternary "the chart routes nothing from here to it" (printf "%s.enabled=false" $target) (include "mirador.enabled" (list $r $target) | eq "true"))) -}}
{{- end -}}
{{- $conf := deepCopy $base -}}
{{- if hasKey $uc "resolver" -}}{{- $_ := unset $conf "resolver" -}}{{- end -}}
{{- include "mirador.deepMerge" (dict "dst" $conf "src" $uc) -}}
{{- $_ := set $d.exporters $id $conf -}}
{{- $_ := unset $u.exporters $id -}}
{{- if not (hasKey $placed $id) -}}
{{- $n := 0 -}}
{{- range $p, $pipe := $d.service.pipelines -}}
{{- if and (or (not $signal) (eq $signal (first (splitList "/" $p)))) (has $chartId $pipe.exporters) -}}
{{- $new := list -}}
{{- range $e := $pipe.exporters -}}{{- $new = append $new (ternary $id $e (eq $e $chartId)) -}}{{- end -}}
{{- $_ := set $pipe "exporters" $new -}}
{{- $n = add1 $n -}}
{{- end -}}
{{- end -}}
{{- if eq $n 0 -}}
{{- fail (printf "%s.exporters.%s: no %spipeline of %s routes to %s: list it in %s.service.pipelines.<name>.exporters" $at $id (ternary (printf "%s " $signal) "" (ne $signal "")) $name $target $at) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- /* what the user defines (kind/id), for the check that each takes effect */}}
{{- $defined := dict -}}
{{- range $k := $kinds -}}
{{- range $id := keys (index $u $k) -}}{{- $_ := set $defined (printf "%s/%s" $k $id) true -}}{{- end -}}
{{- end -}}
{{- $chartProcessors := keys $d.processors -}}

{{- include "mirador.deepMerge" (dict "dst" $d "src" $u) -}}
{{- $cfg := $d -}}
{{- $pipes := $cfg.service.pipelines -}}

{{- /* references: role ids to the exporter that writes the role; removed components out */}}
{{- range $p := keys $pipes | sortAlpha -}}
{{- $pipe := index $pipes $p -}}
{{- range $l := $lists -}}
{{- $new := list -}}
{{- range $id := (index $pipe $l | default list) -}}
{{- $id = (index $effective $id | default $id) -}}
{{- if not (or (hasKey $removed (printf "%s/%s" $l $id)) (hasKey $removed (printf "connectors/%s" $id))) -}}
{{- $new = append $new $id -}}
{{- end -}}
{{- end -}}
{{- $_ := set $pipe $l (uniq $new) -}}
{{- end -}}
{{- if or (not $pipe.receivers) (not $pipe.exporters) -}}{{- $_ := unset $pipes $p -}}{{- end -}}
{{- end -}}

{{- /* processors of yours that no pipeline lists join the pipelines of their signals */}}
{{- $table := include "mirador.processorSignals" . | fromYaml -}}
{{- $join := dict -}}
{{- range $id := keys $u.processors | sortAlpha -}}
{{- if not (or (has $id $chartProcessors) (hasKey $placed $id)) -}}
{{- $type := first (splitList "/" $id) -}}
{{- $pc := index $u.processors $id | default dict -}}
{{- $rule := index $table $type -}}
{{- $where := printf "%s.processors.%s" $at $id -}}
{{- $example := "" -}}
{{- range $p := keys $pipes | sortAlpha -}}{{- if not $example -}}{{- $example = printf "%s: {processors: %s}" $p (append ((index $pipes $p).processors | default list) $id | toJson) -}}{{- end -}}{{- end -}}
{{- if not $rule -}}
{{- fail (printf "%s is in no pipeline, and the chart cannot tell which signals a %s processor applies to: list it in %s.service.pipelines.<name>.processors (a list replaces the chart's: repeat its entries, e.g. %s)" $where $type $at $example) -}}
{{- else if eq (toString $rule) "replace" -}}
{{- $signal := trimPrefix "batch/" $id -}}
{{- if not (has $signal (list "traces" "metrics" "logs")) -}}
{{- fail (printf "%s is in no pipeline: name it batch/traces, batch/metrics or batch/logs to replace the batch processor of that signal's pipelines, or list it in %s.service.pipelines.<name>.processors" $where $at) -}}
{{- end -}}
{{- $n := 0 -}}
{{- range $p, $pipe := $pipes -}}
{{- if and (eq $signal (first (splitList "/" $p))) (has "batch" $pipe.processors) -}}
{{- $new := list -}}
{{- range $x := $pipe.processors -}}{{- $new = append $new (ternary $id $x (eq $x "batch")) -}}{{- end -}}
{{- $_ := set $pipe "processors" $new -}}
{{- $n = add1 $n -}}
{{- end -}}
{{- end -}}
{{- if eq $n 0 -}}
{{- fail (printf "%s: %s has no %s pipeline with a batch processor to replace" $where $name $signal) -}}
{{- end -}}
{{- else if eq (toString $rule) "store" -}}
{{- if not (hasKey $pipes "traces/store") -}}
{{- fail (printf "%s samples the stored traces, but %s stores none (backends.victoriaTraces.exportedBy=%s): define it under %s.config, or use sampling.enabled and sampling.percentage" $where $name $r.Values.backends.victoriaTraces.exportedBy $r.Values.backends.victoriaTraces.exportedBy) -}}
{{- end -}}
{{- $_ := set $join "traces/store" (append (index $join "traces/store" | default list) $id) -}}
{{- else -}}
{{- $signals := list -}}
{{- if kindIs "slice" $rule -}}
{{- $signals = $rule -}}
{{- else -}}
{{- range $setting, $s := $rule -}}{{- if hasKey $pc $setting -}}{{- $signals = concat $signals $s -}}{{- end -}}{{- end -}}
{{- if not $signals -}}
{{- fail (printf "%s names no signal: a %s processor applies to the signals of its settings (%s)" $where $type (keys $rule | sortAlpha | join ", ")) -}}
{{- end -}}
{{- end -}}
{{- $n := 0 -}}
{{- range $p := keys $pipes | sortAlpha -}}
{{- if has (first (splitList "/" $p)) $signals -}}
{{- $_ := set $join $p (append (index $join $p | default list) $id) -}}
{{- $n = add1 $n -}}
{{- end -}}
{{- end -}}
{{- if eq $n 0 -}}
{{- fail (printf "%s applies to %s, but %s has no pipeline of %s" $where (uniq $signals | join " and ") $name (ternary "that signal" "those signals" (eq (len (uniq $signals)) 1))) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- range $p, $ids := $join -}}
{{- $pipe := index $pipes $p -}}
{{- $procs := $pipe.processors | default list -}}
{{- $after := 0 -}}
{{- range $i, $x := $procs -}}{{- if eq (first (splitList "/" $x)) "memory_limiter" -}}{{- $after = add1 $i -}}{{- end -}}{{- end -}}
{{- $_ := set $pipe "processors" (concat (slice $procs 0 $after) $ids (slice $procs $after)) -}}
{{- end -}}

{{- /* extensions: the chart's (health_check for the probes, the queue storage), yours */}}
{{- $ext := list "health_check" -}}
{{- if $v.persistentQueue.enabled -}}{{- $ext = append $ext "file_storage/queue" -}}{{- end -}}
{{- range $x := ($cfg.service.extensions | default list) -}}
{{- if not (hasKey $removed (printf "extensions/%s" $x)) -}}{{- $ext = append $ext $x -}}{{- end -}}
{{- end -}}
{{- range $x := keys $u.extensions | sortAlpha -}}{{- $ext = append $ext $x -}}{{- end -}}
{{- $_ := set $cfg.service "extensions" (uniq $ext) -}}
{{- range $x := $cfg.service.extensions -}}
{{- if not (hasKey $cfg.extensions $x) -}}
{{- fail (printf "%s.service.extensions lists %s, which is not defined: add %s.extensions.%s ({} for its defaults)" $at $x $at $x) -}}
{{- end -}}
{{- end -}}

{{- /* every pipeline entry is defined; every component is in a pipeline (the chart's unused ones go) */}}
{{- $used := dict -}}
{{- range $p := keys $pipes | sortAlpha -}}
{{- $pipe := index $pipes $p -}}
{{- range $l := $lists -}}
{{- range $id := (index $pipe $l | default list) -}}
{{- $_ := set $used (printf "%s/%s" $l $id) true -}}
{{- if not (or (hasKey (index $cfg $l) $id) (and (ne $l "processors") (hasKey $cfg.connectors $id))) -}}
{{- fail (printf "%s.service.pipelines.%s.%s lists %s, which is not defined in %s.%s%s" $at $p $l $id $at $l (ternary " or connectors" "" (ne $l "processors"))) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- range $k := list "receivers" "processors" "exporters" "connectors" -}}
{{- range $id := keys (index $cfg $k) | sortAlpha -}}
{{- $asExporter := hasKey $used (printf "exporters/%s" $id) -}}
{{- $asReceiver := hasKey $used (printf "receivers/%s" $id) -}}
{{- $inUse := ternary (or $asExporter $asReceiver) (hasKey $used (printf "%s/%s" $k $id)) (eq $k "connectors") -}}
{{- if not $inUse -}}
{{- if hasKey $defined (printf "%s/%s" $k $id) -}}
{{- $l := ternary "exporters" $k (eq $k "connectors") -}}
{{- $example := "" -}}
{{- range $p := keys $pipes | sortAlpha -}}{{- if not $example -}}{{- $example = printf "%s: {%s: %s}" $p $l (append ((index $pipes $p | default dict) | dig $l list) $id | toJson) -}}{{- end -}}{{- end -}}
{{- fail (printf "%s.%s.%s is in no pipeline, so it would do nothing: list it in %s.service.pipelines.<name>.%s (a list replaces the chart's: repeat its entries, e.g. %s)" $at $k $id $at $l $example) -}}
{{- end -}}
{{- $_ := unset (index $cfg $k) $id -}}
{{- else if and (eq $k "connectors") (not (and $asExporter $asReceiver)) -}}
{{- fail (printf "%s.connectors.%s must be an exporter of one pipeline and a receiver of another; it is only %s" $at $id (ternary "an exporter" "a receiver" $asExporter)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if not $pipes -}}
{{- fail (printf "%s leaves %s without any pipeline" $at $name) -}}
{{- end -}}

{{- /* what the rest of the release relies on */}}
{{- $hc := $cfg.extensions.health_check | default dict -}}
{{- if not (hasSuffix (printf ":%v" $v.ports.healthCheck) (toString $hc.endpoint)) -}}
{{- fail (printf "%s.extensions.health_check.endpoint=%v: the probes call port %s.ports.healthCheck=%v; set %s.ports.healthCheck instead" $at $hc.endpoint $name $v.ports.healthCheck $name) -}}
{{- end -}}
{{- if and (ne $name "gateway") (not (dig "otlp" "protocols" "grpc" nil $cfg.receivers)) -}}
{{- fail (printf "%s.receivers.otlp.protocols.grpc: the load-balancing exporters send OTLP/gRPC to %s; keep it" $at $name) -}}
{{- end -}}
{{- if $v.persistentQueue.enabled -}}
{{- $stored := false -}}
{{- range $id, $e := $cfg.exporters -}}
{{- if eq (dig "sending_queue" "storage" "" ($e | default dict)) "file_storage/queue" -}}{{- $stored = true -}}{{- end -}}
{{- end -}}
{{- if not $stored -}}
{{- fail (printf "%s.persistentQueue.enabled=true, but no exporter of %s has a queue it could keep on disk: %s sends only through load-balancing exporters, whose queues are in memory per target; turn it off" $name $name $name) -}}
{{- end -}}
{{- end -}}
{{- if dig "persistence" "enabled" false $v -}}
{{- $st := dig "isolationforest" "storage" "" ($cfg.processors | default dict) -}}
{{- if and (hasKey $cfg.processors "isolationforest") (ne $st "file_storage/isolationforest") -}}
{{- fail (printf "%s.persistence.enabled=true keeps the model state on file_storage/isolationforest (the pod's volume), but the processor's storage=%s: remove isolationforest.processor.storage (or the one in %s.processors.isolationforest), or turn persistence off" $name $st $at) -}}
{{- end -}}
{{- if not (has "file_storage/isolationforest" $cfg.service.extensions) -}}
{{- fail (printf "%s.persistence.enabled=true needs the extension file_storage/isolationforest, which %s.extensions removes: keep it, or turn persistence off" $name $at) -}}
{{- end -}}
{{- if and $v.persistentQueue.enabled (eq (clean $v.persistentQueue.directory) (clean $v.persistence.directory)) -}}
{{- fail (printf "%s.persistentQueue.directory and %s.persistence.directory are both %s: two volumes cannot be mounted at one path; choose another directory for one of them" $name $name $v.persistence.directory) -}}
{{- end -}}
{{- end -}}
{{- /* an isolationforest processor's storage is an extension of this collector (looked up at start) */}}
{{- range $id := keys $cfg.processors | sortAlpha -}}
{{- $pc := index $cfg.processors $id -}}
{{- if and (eq (first (splitList "/" $id)) "isolationforest") (kindIs "map" $pc) (hasKey ($pc | default dict) "storage") -}}
{{- if not (has $pc.storage $cfg.service.extensions) -}}
{{- fail (printf "%s.processors.%s.storage=%s%s names no extension of %s: define %s.extensions.%s (e.g. a file_storage on a volume), or set isolationforest.persistence.enabled=true for the chart's volume per pod" $at $id $pc.storage (ternary " (isolationforest.processor.storage)" "" (eq $id "isolationforest")) $name $at $pc.storage) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- include "mirador.checkLimits" (dict "root" $r "name" $name "cfg" $cfg) -}}
{{- range $k := list "processors" "connectors" "extensions" -}}
{{- if not (index $cfg $k) -}}{{- $_ := unset $cfg $k -}}{{- end -}}
{{- end -}}
{{- toJson $cfg -}}
{{- end -}}

{{/* Limits across options of our own components (files/limits/<type>.yaml; values.schema.json has
     each option's own range): checked on the final config, the component's defaults filling in
     options left out. Args: dict root name cfg */}}
{{- define "mirador.checkLimits" -}}
{{- $r := .root -}}{{- $name := .name -}}
{{- range $kind := list "processors" "exporters" -}}
{{- range $id, $conf := (index $.cfg $kind) -}}
{{- $type := first (splitList "/" $id) -}}
{{- $file := $r.Files.Get (printf "files/limits/%s.yaml" $type) -}}
{{- if and $file (kindIs "map" $conf) -}}
{{- $lim := $file | fromYaml -}}
{{- $key := printf "%s.config.%s.%s" $name $kind $id -}}
{{- /* how messages name an option: where users set it */}}
{{- $say := dict -}}{{- $also := dict -}}
{{- range $opt := keys $conf -}}
{{- $_ := set $say $opt (printf "%s.%s" $key $opt) -}}{{- $_ := set $also $opt "" -}}
{{- if $lim.valuesPrefix -}}
{{- $_ := set $say $opt (printf "%s.%s" $lim.valuesPrefix $opt) -}}
{{- $_ := set $also $opt (printf " (set in %s or %s)" $lim.valuesPrefix $key) -}}
{{- end -}}
{{- with index ($lim.valuesKeys | default dict) $opt -}}
{{- $_ := set $say $opt . -}}{{- $_ := set $also $opt (printf " (%s.%s)" $key $opt) -}}
{{- end -}}
{{- end -}}
{{- range $rule := ($lim.atLeast | default list) -}}
{{- $a := index $rule 0 -}}{{- $b := index $rule 1 -}}
{{- if or (hasKey $conf $a) (hasKey $conf $b) -}}
{{- $va := ternary (index $conf $a) (index $lim.defaults $a) (hasKey $conf $a) -}}
{{- $vb := ternary (index $conf $b) (index $lim.defaults $b) (hasKey $conf $b) -}}
{{- if lt (float64 $va) (float64 $vb) -}}
{{- $sa := index $say $a | default (printf "%s.%s" (default $key $lim.valuesPrefix) $a) -}}
{{- fail (printf "%s=%s%s must be at least %s=%s%s: raise %s or lower %s%s" $sa (toJson $va) (ternary "" " (the default)" (hasKey $conf $a)) $b (toJson $vb) (ternary "" " (the default)" (hasKey $conf $b)) $a $b (index $also $a | default (index $also $b) | default "")) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- range $rule := ($lim.maxProduct | default list) -}}
{{- $p := 1.0 -}}{{- $set := false -}}
{{- range $o := $rule.of -}}
{{- if hasKey $conf $o -}}{{- $set = true -}}{{- end -}}
{{- $p = mulf $p (float64 (ternary (index $conf $o) (index $lim.defaults $o) (hasKey $conf $o))) -}}
{{- end -}}
{{- if and $set (gt $p (float64 $rule.max)) -}}
{{- fail (printf "%s: %s must be at most %s, got %s" $key (join " x " $rule.of) (toJson $rule.max) (toJson $p)) -}}
{{- end -}}
{{- end -}}
{{- with $lim.forestBytes -}}
{{- if or (hasKey $conf "trees") (hasKey $conf "sample_size") (hasKey $conf "window_size") -}}
{{- $v := dict -}}
{{- range $o := list "trees" "sample_size" "window_size" -}}
{{- $_ := set $v $o (float64 (ternary (index $conf $o) (index $lim.defaults $o) (hasKey $conf $o))) -}}
{{- end -}}
{{- $t := $v.trees -}}{{- $n := subf (mulf 2.0 $v.sample_size) 1.0 -}}{{- $d := float64 .dims -}}{{- $w := $v.window_size -}}
{{- $arrays := list (float64 .recordBytes) (mulf $t (mulf $n 16.0)) (mulf $t (mulf $n 8.0)) (mulf $t 4.0) (mulf $t (mulf $d 16.0)) (mulf $t 8.0) (mulf $d 4.0) (mulf $d 16.0) (mulf $w (mulf $d 8.0)) (mulf $w 4.0) -}}
{{- $total := 0.0 -}}
{{- range $a := $arrays -}}
{{- $block := 16.0 -}}
{{- range until 64 -}}{{- if lt $block (addf $a 8.0) -}}{{- $block = mulf $block 2.0 -}}{{- end -}}{{- end -}}
{{- $total = addf $total $block -}}
{{- end -}}
{{- if gt $total (float64 .max) -}}
{{- $prefix := default $key $lim.valuesPrefix -}}
{{- fail (printf "%s: trees=%s, sample_size=%s, window_size=%s make one forest %d MiB, more than the %d MiB a kernel instance can give one forest: lower trees, sample_size or window_size%s" $prefix (toJson $v.trees) (toJson $v.sample_size) (toJson $v.window_size) (int64 (divf $total 1048576.0)) (int64 (divf (float64 .max) 1048576.0)) (index $also "trees" | default (index $also "sample_size") | default (index $also "window_size") | default "")) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- range $opt, $bound := ($lim.durations | default dict) -}}
{{- if hasKey $conf $opt -}}
{{- $what := index $say $opt -}}{{- $where := index $also $opt -}}
{{- $s := include "mirador.seconds" (dict "value" (index $conf $opt) "key" $what) | float64 -}}
{{- $range := printf "between %s and %s" ($bound.min | default "0s") ($bound.max | default "any length") -}}
{{- if and (hasKey $bound "min") (lt $s (include "mirador.seconds" (dict "value" $bound.min "key" "min") | float64)) -}}
{{- fail (printf "%s=%s must be %s%s" $what (index $conf $opt) $range $where) -}}
{{- end -}}
{{- if and (hasKey $bound "max") (gt $s (include "mirador.seconds" (dict "value" $bound.max "key" "max") | float64)) -}}
{{- fail (printf "%s=%s must be %s%s" $what (index $conf $opt) $range $where) -}}
{{- end -}}
{{- if and $bound.positive (le $s 0.0) -}}
{{- fail (printf "%s=%s must be a positive duration%s" $what (index $conf $opt) $where) -}}
{{- end -}}
{{- if and $bound.wholeSeconds (ne $s (floor $s)) -}}
{{- fail (printf "%s=%s must be whole seconds, e.g. %ds%s" $what (index $conf $opt) (int (ceil $s)) $where) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
