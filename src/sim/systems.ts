/**
 * The systems the simulator serves, in the order of `--port-base` (a module of its own, so that the
 * `sim` command can name them without loading the simulator).
 */
import type {SimSystem} from './faults.js'

export const SIM_SYSTEMS: SimSystem[] = ['keystone', 'nova', 'heat', 'cinder', 'neutron', 'gnocchi', 'cloudkitty', 'concertim', 'mrd', 'killbill', 'glance']
