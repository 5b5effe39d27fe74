/**
 * Promise faces of services, for the library's own hot paths.
 *
 * Every service is an Effect service, and that is all user code and tests see. A few of the
 * library's own paths, run on every auth request from promise code (Better Auth's session reads,
 * the rate limiter's count, Better Auth's handler), cost a fiber per call when they go through
 * Effect (`bench/PROFILES.md`). An implementation may therefore attach a promise face to the
 * service value it builds: the same operation, on the same backend and state, written as plain
 * promise code. A caller asks for the face and, when a service has none (another implementation, a
 * test's own), runs the service's Effect instead: behaviour is the same either way, only the cost
 * differs.
 *
 * @module
 */

/** A registry of one kind of face: `attach` it to a service value, ask for it with `of`. */
export const faceKind = <Service extends object, Face>() => {
  const faces = new WeakMap<Service, Face>()
  return {
    /** `service`, with `face` attached (the same value, returned for convenience). */
    attach: <S extends Service>(service: S, face: Face): S => {
      faces.set(service, face)
      return service
    },
    /** The face attached to `service`, or `undefined`. */
    of: (service: Service): Face | undefined => faces.get(service)
  }
}
