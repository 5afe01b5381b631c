"""What every domain shares: money, countries, time, storage, audit, errors."""
