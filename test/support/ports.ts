export { freePort } from "../../src/pg/free-port.js";
