/**
 * `serve`'s HTTP server: Fastify with the route table, bearer-token auth on every route but `GET /`
 * and `/healthz`, per-route JSON schema validation (Ajv: every error collected, no coercion, extra
 * keys kept), one access-log line per request (method, route, status, ms — no bodies, no headers),
 * errors as `{success: false, error, message}` with honest statuses (errors.ts), and a close that
 * lets in-flight requests finish.
 */
import Fastify, {type FastifyInstance, type FastifyRequest} from 'fastify'

import type {Logger} from '../output/logger.js'
import type {TokenVerifier} from './auth.js'
import {ApiError, errorReply} from './errors.js'
import {registerRoutes, type RouteDeps} from './routes.js'
import {type SchemaError, validationRefusal} from './validation.js'

export interface ApiServerOptions extends RouteDeps {
  bodyLimit: number
  /** PEM certificate and key: HTTPS. */
  https?: {cert: Buffer | string; key: Buffer | string}
  logger: Logger
  verifier: TokenVerifier
}

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: boolean
  }
  interface FastifyRequest {
    startedAt?: bigint
  }
}

export function buildApiServer(opts: ApiServerOptions): FastifyInstance {
  const app = Fastify({
    ajv: {customOptions: {allErrors: true, allowUnionTypes: true, coerceTypes: false, removeAdditional: false, useDefaults: true}},
    bodyLimit: opts.bodyLimit,
    // GET routes with a body schema cannot have Fastify's automatic HEAD twins.
    exposeHeadRoutes: false,
    // GET /key_pairs and GET /team/limits carry a JSON body (the app's Faraday sends one).
    ...(opts.https === undefined ? {} : {https: opts.https}),
    logger: false,
    return503OnClosing: true,
  }) as unknown as FastifyInstance
  app.addHttpMethod('GET', {hasBody: true, overrideExisting: true})
  const log = opts.logger

  app.addHook('onRequest', async (req) => {
    req.startedAt = process.hrtime.bigint()
    if (req.routeOptions.config?.auth === false) return
    await opts.verifier.verify(req.headers.authorization)
  })

  app.addHook('onResponse', async (req, reply) => {
    const ms = req.startedAt === undefined ? undefined : Math.round(Number(process.hrtime.bigint() - req.startedAt) / 1e4) / 100
    log.info({method: req.method, ms, route: req.routeOptions.url ?? 'unmatched', status: reply.statusCode}, 'request')
  })

  app.setErrorHandler(async (error, req, reply) => {
    const refusal = (error as {validation?: SchemaError[]}).validation === undefined ? error : validationRefusal((error as {validation: SchemaError[]}).validation, req.body, (req.routeOptions.schema?.body ?? {}) as {required?: string[]})
    const {body, status} = errorReply(refusal)
    if (status >= 500) {
      log.error({error: body.error, method: req.method, route: req.routeOptions.url, status}, body.message)
      if (status === 500) log.debug({err: error}, 'unexpected error')
    } else log.debug({error: body.error, route: req.routeOptions.url, status}, body.message)
    return reply.code(status).send(body)
  })

  app.setNotFoundHandler(async (req: FastifyRequest, reply) => {
    const {body, status} = errorReply(new ApiError(404, 'NotFound', `no route ${req.method} ${req.url.split('?')[0]}`))
    return reply.code(status).send(body)
  })

  registerRoutes(app, opts)
  return app
}
