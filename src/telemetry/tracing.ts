/**
 * OpenTelemetry tracing: off unless OTEL_EXPORTER_OTLP_ENDPOINT is set, then spans go to that
 * collector over OTLP/HTTP. One checkout is one trace: the API's HTTP span (src/api/tracing.ts)
 * → the Temporal client's start/update span → the workflow run → each activity, carried across
 * processes in Temporal headers by @temporalio/interceptors-opentelemetry.
 *
 * The OpenTelemetry packages stay on the 1.x line: the Temporal interceptors 1.24.0 build their
 * workflow spans with the 1.x SDK, and a 2.x exporter would drop their parent links.
 */
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import type { WorkflowClientInterceptor } from '@temporalio/client';

export interface Tracing {
  resource: Resource;
  /** Also receives the spans workflows export through the worker's sink. */
  spanProcessor: SpanProcessor;
  /** Flushes the spans still buffered; call it last when the process stops. */
  shutdown(): Promise<void>;
}

let active: Tracing | undefined;

/** Installs the global tracer provider once per process; undefined when tracing is off. */
export function startTracing(opts: { endpoint?: string; serviceName: string }): Tracing | undefined {
  if (!opts.endpoint) return undefined;
  if (active) return active;
  const resource = new Resource({ 'service.name': opts.serviceName });
  const spanProcessor = new BatchSpanProcessor(new OTLPTraceExporter({ url: `${opts.endpoint.replace(/\/+$/, '')}/v1/traces` }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  // Registers the AsyncLocalStorage context manager and the W3C trace-context propagator.
  provider.register();
  active = { resource, spanProcessor, shutdown: () => provider.shutdown() };
  return active;
}

/** The Temporal client interceptors that put the current trace into workflow start/update/signal headers. */
export function tracingClientInterceptors(tracing: Tracing | undefined): { workflow: WorkflowClientInterceptor[] } | undefined {
  return tracing ? { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } : undefined;
}
