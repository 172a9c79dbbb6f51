// Dashboard entry point (index.html loads it as a module; no build step). The parts live in js/:
// dashboard.js wires them together, connection.js owns the WebSocket, stream-card.js one stream.
import { startDashboard } from './js/dashboard.js';

startDashboard();
