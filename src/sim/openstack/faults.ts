/**
 * The fault bodies Nova and Cinder answer with (their API WSGI's faults: `{"<kind>": {"code", "message"}}`),
 * one definition for the simulated services that share them. Heat answers another shape (heat.ts).
 */
import type {SimReply} from '../http-app.js'

export function badRequest(message: string): SimReply {
  return {body: {badRequest: {code: 400, message}}, status: 400}
}

export function conflict(message: string): SimReply {
  return {body: {conflictingRequest: {code: 409, message}}, status: 409}
}

export function forbidden(message: string): SimReply {
  return {body: {forbidden: {code: 403, message}}, status: 403}
}

export function notFound(message: string): SimReply {
  return {body: {itemNotFound: {code: 404, message}}, status: 404}
}
